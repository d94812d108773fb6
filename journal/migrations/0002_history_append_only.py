"""On PostgreSQL the journal's history refuses UPDATE and DELETE (R-MRK-6): even a bug or a
hand-typed SQL statement from the application's own role cannot rewrite it quietly. The hash
chain catches what a superuser could still do."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION journal_change_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'journal history is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journal_change_append_only
    BEFORE UPDATE OR DELETE ON journal_journalchange
    FOR EACH ROW EXECUTE FUNCTION journal_change_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS journal_change_append_only ON journal_journalchange;
DROP FUNCTION IF EXISTS journal_change_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
