def current_school(request):
    """The school of the page, the user's roles in it and the other schools he can switch
    to (read with the access, no query of its own)."""
    school = getattr(request, "school", None)
    context = {"school": school, "access": getattr(request, "access", None)}
    access = context["access"]
    if access is not None:
        context["switch_schools"] = list(access.other_schools)
    return context
