"""What the journal tells other apps, sent inside the writing transaction so that a
receiver's rows (notifications) commit or roll back with the change. The journal never
imports its receivers (dependencies point one way: journal ← notifications)."""

from django.dispatch import Signal

# a mark was created, changed or removed: mark (None when removed), lesson, student,
# action ("create" / "update" / "delete"), old (the previous value's text), actor
mark_changed = Signal()
# an absence or lateness was set, changed or removed: attendance (None when removed),
# lesson, student, action, actor
attendance_changed = Signal()
# the homework given at a lesson was set or changed: record, lesson, actor
homework_changed = Signal()
