from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from .selectors import is_coordinator, user_schools


@require_GET
@login_required
def school_pick(request):
    """Where a user lands after login: straight into his only school, or a choice."""
    schools = user_schools(request.user)
    coordinator = is_coordinator(request.user)
    if len(schools) == 1 and not coordinator:
        return redirect("school_home", school_slug=schools[0].school.slug)
    return render(
        request,
        "accounts/school_pick.html",
        {"schools": schools, "is_coordinator": coordinator},
    )
