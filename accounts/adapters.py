from allauth.account.adapter import DefaultAccountAdapter


class SchoolIssuedAccountAdapter(DefaultAccountAdapter):
    """Accounts are issued by the school (R-ROLE-4): nobody signs himself up."""

    def is_open_for_signup(self, request):
        return False
