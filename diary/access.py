"""Who reads which student's diary (R-ROLE-2, R-ROLE-5). The diary's URLs are for the
student himself, his parents and his trusted persons only: staff have the journal (a staff
member who is also a parent of the school reads his own children here). Another child's id,
or a child of another school, is 404 as if it did not exist."""

from django.http import Http404

from accounts.models import Role, Student
from accounts.permissions import readable_children
from schedule.models import SchoolClass

DIARY_ROLES = (Role.PARENT, Role.STUDENT, Role.TRUSTED)


def diary_students(request) -> list[Student]:
    """Every student the user reads, in every school (himself included), with each one's
    school and current class; one query, kept on the request for the child switcher."""
    students = getattr(request, "_diary_students", None)
    if students is None:
        students = list(readable_children(request.user, request.school.today(), include_self=True))
        for student in students:
            if student.school_id == request.school.pk:
                student.school = request.school  # with its settings, read by the access
        request._diary_students = students
    return students


def get_student_for_reader(request, pk: int) -> Student:
    """The student `pk` of request.school whom the user may read, else 404 (no query of its
    own beyond diary_students)."""
    for student in diary_students(request):
        if student.pk == pk and student.school_id == request.school.pk:
            return student
    raise Http404


def switcher_students(request) -> list[Student]:
    """The children to switch between: those of the schools where the user has a role
    today (a link to any other school would only answer 404)."""
    schools = {request.school.pk} | {school.pk for school in request.access.other_schools}
    return [s for s in diary_students(request) if s.school_id in schools]


def current_class(student: Student) -> SchoolClass | None:
    """The student's class as readable_children annotated it, without a query."""
    if getattr(student, "class_id", None) is None:
        return None
    return SchoolClass(
        pk=student.class_id,
        school_id=student.school_id,
        year_id=student.class_year_id,
        grade=student.class_grade,
        letter=student.class_letter,
    )
