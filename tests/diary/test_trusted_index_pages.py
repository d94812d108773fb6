"""A trusted person finds the child he was granted on the timetable and control-work
index pages too (R-ROLE-5): with one granted child he goes straight to the child's page;
a revoked or expired grant shows nothing there."""

from django.urls import reverse


def test_r_role_5_a_trusted_person_goes_straight_to_the_granted_childs_pages(client, people, diary):
    client.force_login(diary.trusted)
    child = people.student_record
    answer = client.get(reverse("timetable", args=[people.lyceum.slug]))
    assert answer.status_code == 302
    assert answer.url == reverse("timetable_student", args=[people.lyceum.slug, child.pk])
    answer = client.get(reverse("control_works", args=[people.lyceum.slug]))
    assert answer.status_code == 302
    assert answer.url == reverse("student_control_works", args=[people.lyceum.slug, child.pk])


def test_r_role_5_a_revoked_or_expired_grant_lists_no_child(client, people, diary):
    for user in (diary.trusted_revoked, diary.trusted_expired):
        client.force_login(user)
        for name in ("timetable", "control_works"):
            answer = client.get(reverse(name, args=[people.lyceum.slug]))
            assert answer.status_code == 200
            assert people.student_record.last_name not in answer.content.decode()
