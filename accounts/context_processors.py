from .selectors import user_schools


def current_school(request):
    """The school of the page, the user's roles in it and the other schools he can switch
    to (one query, only on school pages)."""
    school = getattr(request, "school", None)
    context = {"school": school, "access": getattr(request, "access", None)}
    if school is not None:
        context["switch_schools"] = [
            c.school for c in user_schools(request.user) if c.school.pk != school.pk
        ]
    return context
