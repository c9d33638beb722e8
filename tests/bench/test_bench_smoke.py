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


def test_the_reports_figures_are_the_contracts_reports_within_its_range():
    import datetime
    from urllib.parse import parse_qs, urlsplit

    from django.urls import resolve

    from reports.views import SalesQuerySerializer, SalesReportViewSet

    paths = bench.report_paths("2026-12-01", "2025-12-02", "2026-11-02")

    assert set(paths) | {"csv-export"} == set(bench.REPORT_PHASES)
    for name, path in paths.items():
        url = urlsplit(path)
        assert resolve(url.path).func.cls is SalesReportViewSet
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        serializer = SalesQuerySerializer(data=query)
        assert serializer.is_valid(), (name, serializer.errors)
        span = (
            serializer.validated_data["date_to"]
            - serializer.validated_data["date_from"]
        )
        expected = {"report-day-year": 364, "report-product-month": 29}[name]
        assert span == datetime.timedelta(days=expected)
    assert "group_by=day" in paths["report-day-year"]
    assert "group_by=product" in paths["report-product-month"]
    # A latency 25 times the reference's, as a rate ratio at equal connections.
    assert bench.REPORT_SHARE == 0.04


def test_the_csv_export_figure_counts_rows_as_they_stream_and_samples_memory():
    import io

    body = io.BytesIO(b'id,notes\r\n1,"two\nlines"\r\n2,plain\r\n' + b"3,x\r\n" * 1000)
    samples = []

    rows = bench.stream_csv_rows(body, lambda: samples.append(1), every=0)

    assert rows == 1002  # a quoted newline is inside one row
    assert len(samples) >= 1000


def test_the_wrk_command_takes_fewer_connections_for_the_reports():
    command = bench.wrk_command(1, "/x", connections=bench.REPORT_CONNECTIONS)
    default = bench.wrk_command(1, "/x")

    assert command[1:3] == ["-t2", "-c2"]
    assert default[1:3] == ["-t2", f"-c{bench.CONNECTIONS}"]


def test_reorder_suggestions_are_a_read_figure_judged_at_a_twentieth():
    rows = bench.read_rows({"reorder": 1})

    assert rows["reorder"].share == 0.05
    assert rows["reorder"].queries == 1
    assert set(bench.READ_PATHS) <= set(rows)
    path = bench.READ_PATHS["reorder"].split("?")[0]
    assert resolve(path).url_name == "reordersuggestion-list"
