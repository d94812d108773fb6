"""The events calendar's services (R-NOT-4, R-NOT-5): a teacher proposes, the
administration approves or rejects once, its own events are published at once; who is
notified."""

import pytest

from journal.rules import Refusal
from notifications.models import Kind, Notification, SchoolEvent
from notifications.services.events import event_decide, event_propose

from . import conftest_news
from .conftest_news import News, event_make, local, url

news = conftest_news.news  # the fixture

Status = SchoolEvent.Status


def propose(people, actor=None, **fields):
    school = people.lyceum
    data = {
        "title": "Осенний кросс",
        "starts_at": local(school, 2026, 10, 20, 15, 0),
        "ends_at": local(school, 2026, 10, 20, 17, 0),
        "place": "Стадион",
    }
    data.update(fields)
    return event_propose(actor=actor or people.teacher, school=school, **data)


def notified(kind=Kind.NEWS) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_r_not_4_a_teachers_event_waits_for_the_administration(people, news: News):
    event = propose(people, classes=[people.class_5a], description="  Форма спортивная.  ")
    assert event.status == Status.PROPOSED
    assert event.proposed_by == people.teacher and event.decided_at is None
    assert event.description == "Форма спортивная."
    assert list(event.classes.all()) == [people.class_5a]
    assert not Notification.objects.exists()


@pytest.mark.parametrize("who", ["director", "deputy", "admin"])
def test_r_not_4_the_administrations_own_event_is_published_at_once(people, news: News, who):
    """...and the students and parents of its classes are notified."""
    actor = getattr(people, who)
    event = propose(people, actor=actor, classes=[people.class_5a])
    assert event.status == Status.APPROVED
    assert (event.decided_by, event.decided_at) == (actor, event.proposed_at)
    assert notified() == ["parent", "student"]
    notice = Notification.objects.get(user=people.parent)
    assert notice.title == "Событие 20.10.2026 15:00: Осенний кросс"
    assert notice.url == url("events_index", people.lyceum) + "?month=2026-10"


def test_r_not_4_approval_publishes_and_notifies_the_proposer_and_the_classes(people, news: News):
    event = propose(people, classes=[people.class_5a, news.class_6a])
    event_decide(actor=people.deputy, event=event, approve=True, note="Хорошо")
    event.refresh_from_db()
    assert event.status == Status.APPROVED
    assert (event.decided_by, event.decision_note) == (people.deputy, "Хорошо")
    # the proposer, and the 5А and 6А students and parents who have accounts
    assert notified() == ["parent", "student", "teacher"]
    to_teacher = Notification.objects.get(user=people.teacher)
    assert to_teacher.title == "Ваше событие опубликовано: Осенний кросс"
    assert to_teacher.url == url("events_pending", people.lyceum)


def test_r_not_4_a_whole_school_event_notifies_only_its_proposer(people, news: News):
    event = propose(people)
    event_decide(actor=people.director, event=event, approve=True)
    assert notified() == ["teacher"]


def test_r_not_4_a_rejection_needs_a_note_and_tells_the_proposer(people, news: News):
    event = propose(people, classes=[people.class_5a])
    with pytest.raises(Refusal) as refused:
        event_decide(actor=people.deputy, event=event, approve=False, note="  ")
    assert refused.value.message == "Напишите, почему событие отклонено."
    event_decide(actor=people.deputy, event=event, approve=False, note="В этот день ВПР")
    event.refresh_from_db()
    assert event.status == Status.REJECTED and event.decision_note == "В этот день ВПР"
    assert notified() == ["teacher"]
    notice = Notification.objects.get()
    assert notice.title == "Ваше событие отклонено: Осенний кросс"
    assert notice.body == "В этот день ВПР"


def test_r_not_4_a_proposal_is_decided_once(people, news: News):
    event = propose(people)
    stale = SchoolEvent.objects.get(pk=event.pk)
    event_decide(actor=people.deputy, event=event, approve=False, note="Нет")
    with pytest.raises(Refusal) as refused:
        event_decide(actor=people.director, event=stale, approve=True)
    assert refused.value.code == "decided"
    stale.refresh_from_db()
    assert stale.status == Status.REJECTED and stale.decided_by == people.deputy
    assert Notification.objects.count() == 1


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "parent", "student"])
def test_r_not_4_only_the_administration_decides(people, news: News, who):
    event = propose(people, actor=news.teacher_6a)
    with pytest.raises(Refusal) as refused:
        event_decide(actor=getattr(people, who), event=event, approve=True)
    assert refused.value.code == "forbidden"
    event.refresh_from_db()
    assert event.status == Status.PROPOSED


@pytest.mark.parametrize("who", ["parent", "student", "outsider"])
def test_r_not_4_families_and_outsiders_do_not_propose(people, news: News, who):
    with pytest.raises(Refusal) as refused:
        propose(people, actor=getattr(people, who))
    assert refused.value.code == "forbidden"
    assert not SchoolEvent.objects.exists()


def test_r_not_4_psychologists_and_other_staff_propose(people, news: News):
    assert propose(people, actor=news.psychologist).status == Status.PROPOSED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "Напишите заголовок."),
        (
            {"ends_at": "before"},
            "Событие заканчивается раньше, чем начинается.",
        ),
    ],
)
def test_r_not_4_a_bad_event_is_refused(people, news: News, fields, message):
    if fields.get("ends_at") == "before":
        fields["ends_at"] = local(people.lyceum, 2026, 10, 20, 14, 59)
    with pytest.raises(Refusal) as refused:
        propose(people, **fields)
    assert refused.value.message == message
    assert not SchoolEvent.objects.exists()


def test_r_ten_1_a_class_of_another_school_is_refused(people, news: News):
    with pytest.raises(Refusal) as refused:
        propose(people, classes=[people.class_5a, news.gym_class])
    assert refused.value.message == "Класс 5А не из этой школы."
    assert not SchoolEvent.objects.exists()


def test_r_not_4_an_event_without_an_end_is_fine(people, news: News):
    event = propose(people, ends_at=None)
    assert event.ends_at is None


def test_the_helper_makes_decided_rows(people, news: News):
    """The fixtures' rows satisfy the model's decision constraint in every status."""
    for status in Status:
        event_make(
            people.lyceum,
            status.label,
            local(people.lyceum, 2026, 10, 1, 9),
            proposed_by=people.teacher,
            decided_by=people.deputy,
            status=status,
        )
    assert SchoolEvent.objects.count() == 3
