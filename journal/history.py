"""The append-only, hash-chained history of the journal (R-MRK-6).

Each entry's hash is sha256 over the previous entry's hash (of the same school) and the
entry's own content. Writing an entry locks the school's ChainHead row, which also orders
concurrent writes of one school, so a cell's check-then-write cannot race."""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ChainHead, JournalChange

GENESIS = "0" * 64


def _content(change: JournalChange) -> str:
    fields = (
        change.seq,
        change.school_id,
        change.at.astimezone(dt.UTC).isoformat(),
        change.actor_id,
        change.actor_name,
        change.ip or "",
        change.action,
        change.subject_kind,
        change.object_id,
        change.lesson_id or "",
        change.student_id or "",
        change.label,
        change.old,
        change.new,
        change.reason,
    )
    return "\x1f".join(str(f) for f in fields)


def entry_hash(prev_hash: str, change: JournalChange) -> str:
    return hashlib.sha256(f"{prev_hash}\x1e{_content(change)}".encode()).hexdigest()


def chain_lock(school_id: int) -> ChainHead:
    """Lock (creating it on first use) the school's chain head for this transaction."""
    head = ChainHead.objects.select_for_update().filter(school_id=school_id).first()
    if head is None:
        try:
            with transaction.atomic():
                ChainHead.objects.create(school_id=school_id)
        except IntegrityError:
            pass  # created meanwhile by another writer
        head = ChainHead.objects.select_for_update().get(school_id=school_id)
    return head


def change_record(
    *,
    head: ChainHead,
    actor,
    ip: str | None,
    action: str,
    subject_kind: str,
    object_id: int,
    label: str,
    old: str = "",
    new: str = "",
    reason: str = "",
    lesson=None,
    student_id: int | None = None,
    school_class_id: int | None = None,
    course_subject_id: int | None = None,
    teacher_id: int | None = None,
    at: dt.datetime | None = None,
) -> JournalChange:
    """Append one entry to the locked chain (`head` from chain_lock in this transaction)."""
    change = JournalChange(
        school_id=head.school_id,
        seq=head.seq + 1,
        at=at or timezone.now(),
        actor_id=actor.pk,
        actor_name=actor.short_name or actor.get_username(),
        ip=ip or None,
        action=action,
        subject_kind=subject_kind,
        object_id=object_id,
        lesson_id=getattr(lesson, "pk", None),
        lesson_date=getattr(lesson, "date", None),
        school_class_id=school_class_id or getattr(lesson, "school_class_id", None),
        course_subject_id=course_subject_id or getattr(lesson, "subject_id", None),
        teacher_id=teacher_id or getattr(lesson, "teacher_id", None) or actor.pk,
        student_id=student_id,
        label=label[:300],
        old=old[:600],
        new=new[:600],
        reason=reason[:500],
        prev_hash=head.hash,
    )
    change.hash = entry_hash(head.hash, change)
    change.save(force_insert=True)
    head.seq, head.hash = change.seq, change.hash
    ChainHead.objects.filter(pk=head.pk).update(seq=head.seq, hash=head.hash)
    return change


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    broken_at: int | None  # seq of the first entry that does not match, None when intact
    head_matches: bool

    @property
    def intact(self) -> bool:
        return self.broken_at is None and self.head_matches


def chain_verify(school_id: int) -> ChainCheck:
    """Recompute the school's chain: an edited, inserted or deleted entry breaks it."""
    prev, expected_seq, count, broken = GENESIS, 1, 0, None
    for change in (
        JournalChange.objects.filter(school_id=school_id).order_by("seq").iterator(chunk_size=2000)
    ):
        count += 1
        if broken is None and (
            change.seq != expected_seq
            or change.prev_hash != prev
            or change.hash != entry_hash(prev, change)
        ):
            broken = change.seq
        prev, expected_seq = change.hash, change.seq + 1
    head = ChainHead.objects.filter(school_id=school_id).first()
    head_matches = (head is None and count == 0) or (
        head is not None and head.seq == expected_seq - 1 and head.hash == prev
    )
    return ChainCheck(entries=count, broken_at=broken, head_matches=head_matches)


def request_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None
