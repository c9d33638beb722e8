"""History the database will not let anyone rewrite.

``audit_refuse_rewrite`` refuses the row's UPDATE or DELETE with
``restrict_violation`` and the constraint name ``append_only_history``, which
the API maps to a clear refusal. Its one way out is for archiving: a
transaction that has run ``SET LOCAL store.archiving_audit_log = 'on'`` (the
``archive_audit_log`` command, which logs what it removes) may delete. Other
apps' history tables attach their own triggers to this function. The audit
log's whole-table count is kept like the other long lists'.
"""

from django.db import migrations

REFUSE = """
CREATE FUNCTION audit_refuse_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('store.archiving_audit_log', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% on % refused: this history is append-only',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation', CONSTRAINT = 'append_only_history';
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("store_project", "0002_rowcount"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                REFUSE,
                "CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit_auditentry "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse_rewrite()",
                "LOCK TABLE audit_auditentry IN SHARE ROW EXCLUSIVE MODE",
                "DELETE FROM store_project_rowcount WHERE table_name = 'audit_auditentry'",
                "INSERT INTO store_project_rowcount (table_name, rows) "
                "SELECT 'audit_auditentry', count(*) FROM audit_auditentry",
                "CREATE TRIGGER row_count_insert AFTER INSERT ON audit_auditentry "
                "REFERENCING NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
                "CREATE TRIGGER row_count_delete AFTER DELETE ON audit_auditentry "
                "REFERENCING OLD TABLE AS old_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
                "CREATE TRIGGER row_count_truncate AFTER TRUNCATE ON audit_auditentry "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
            ],
            reverse_sql=[
                "DROP TRIGGER row_count_truncate ON audit_auditentry",
                "DROP TRIGGER row_count_delete ON audit_auditentry",
                "DROP TRIGGER row_count_insert ON audit_auditentry",
                "DELETE FROM store_project_rowcount WHERE table_name = 'audit_auditentry'",
                "DROP TRIGGER append_only ON audit_auditentry",
                "DROP FUNCTION audit_refuse_rewrite()",
            ],
        )
    ]
