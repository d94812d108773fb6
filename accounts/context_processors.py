def current_school(request):
    """The school of the page and the user's roles in it, for the header."""
    return {
        "school": getattr(request, "school", None),
        "access": getattr(request, "access", None),
    }
