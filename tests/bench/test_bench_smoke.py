"""The benchmark is not run in the suite (minutes of load); its pieces import."""

from django.urls import resolve, set_urlconf

from bench import bench, hello, reference


def test_hello_is_a_wsgi_app():
    started = []
    body = hello.application({}, lambda status, headers: started.append(status))
    assert started == ["200 OK"]
    assert b"".join(body) == hello.BODY


def test_reference_urlconf_routes_its_views():
    set_urlconf(reference)
    try:
        assert resolve("/reference/products/").func is reference.products
        assert resolve("/reference/v1-products/").func is reference.v1_products
    finally:
        set_urlconf(None)


def test_the_reference_reads_six_columns_by_id():
    sql = " ".join(reference.SQL.split())

    # stock: the sum of the product's stock levels, as the product list reads it.
    assert sql == (
        "SELECT p.id, p.name, p.description, p.unit_price, (SELECT "
        "COALESCE(SUM(s.on_hand), 0) FROM inventory_stocklevel s WHERE "
        "s.product_id = p.id) AS stock, p.category_id "
        "FROM catalog_product p ORDER BY p.id LIMIT 50"
    )


def test_the_store_runs_with_the_production_task_definitions_environment():
    task = bench.production_environment()
    env, changed = bench.app_env("postgres://bench@127.0.0.1/bench")

    assert {k: env[k] for k in task if k not in changed} == {
        k: v for k, v in task.items() if k not in changed
    }
    assert env["DJANGO_ENV"] == "prod"
    assert env["DB_POOL"] == "true"
    assert env["DB_POOL_MAX_SIZE"] == env["GUNICORN_THREADS"]
    assert env["LOG_LEVEL"] == "INFO"
    # Only the deploy's placeholders and the bench user's throttle change.
    assert changed == ["ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "THROTTLE_USER"]
    assert not any("${" in value for value in env.values())
    # Every secret of the task definition, each required by the prod settings.
    assert {"DATABASE_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS"} <= set(env)


def test_a_profile_sample_goes_to_the_narrowest_part_it_is_in():
    from bench.spy import classify, fold

    dispatch = "APIView.dispatch (rest_framework/views.py)"
    auth = "APIView.perform_authentication (rest_framework/views.py)"
    connect = "BaseDatabaseWrapper.connect (django/db/backends/base/base.py)"
    execute = "Cursor.execute (psycopg/cursor.py)"
    mixin = "MiddlewareMixin.__call__ (django/utils/deprecation.py)"
    session = "SessionMiddleware.process_request (django/contrib/sessions/m.py)"

    assert classify([mixin, dispatch, auth, execute]).startswith("authentication")
    assert classify([mixin, dispatch, auth, connect]).startswith("database connection")
    assert classify([mixin, dispatch]).startswith("the view")
    assert classify([mixin, session]) == "middleware"
    parts = fold([f"{mixin};{dispatch};{auth};{execute} 3", f"{mixin};{session} 2"])
    assert parts["authentication (token, user, permissions)"]["driver"] == 3
    assert parts["middleware by class"] == {"SessionMiddleware": 2}


def test_reorder_suggestions_are_a_read_figure_judged_at_a_twentieth():
    rows = bench.read_rows({"reorder": 1})

    assert rows["reorder"].share == 0.05
    assert rows["reorder"].queries == 1
    assert set(bench.READ_PATHS) <= set(rows)
    path = bench.READ_PATHS["reorder"].split("?")[0]
    assert resolve(path).url_name == "reordersuggestion-list"
