from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
@login_required
def school_pick(request):
    return render(request, "accounts/school_pick.html", {})
