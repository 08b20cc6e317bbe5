"""Issue, rotate, revoke and list API tokens from the command line (an administrator's tool).

manage.py api_token issue USERNAME --name OMS1      # prints the key, once
manage.py api_token rotate TOKEN_ID                 # prints the successor's key
manage.py api_token revoke TOKEN_ID
manage.py api_token list [USERNAME]
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from orders.models import ApiToken
from orders.services.tokens import api_token_issue, api_token_revoke, api_token_rotate

ACTOR = "command:api_token"


class Command(BaseCommand):
    help = "Issue, rotate, revoke or list API tokens."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        issue = actions.add_parser("issue", help="a new token for a user")
        issue.add_argument("username")
        issue.add_argument("--name", default="api", help="what will use it")
        actions.add_parser("rotate", help="a successor; the token stops working").add_argument("token_id", type=int)
        actions.add_parser("revoke", help="the token stops working").add_argument("token_id", type=int)
        actions.add_parser("list", help="tokens, never their keys").add_argument("username", nargs="?")

    def handle(self, *args, action, **options):
        if action == "issue":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no user {options['username']}")
            token, key = api_token_issue(user=user, name=options["name"], actor=ACTOR)
            self.stdout.write(f"token {token.pk} for {user.username}: {key}\n(shown once; only its hash is kept)")
        elif action == "rotate":
            try:
                successor, key = api_token_rotate(token=self._token(options["token_id"]), actor=ACTOR)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"token {options['token_id']} revoked; its successor {successor.pk}: {key}")
        elif action == "revoke":
            api_token_revoke(token=self._token(options["token_id"]), actor=ACTOR)
            self.stdout.write(f"token {options['token_id']} revoked")
        else:
            tokens = ApiToken.objects.select_related("user").order_by("user__username", "id")
            if options["username"]:
                tokens = tokens.filter(user__username=options["username"])
            for t in tokens:
                state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "live"
                used = "unused"
                if t.last_used_at:
                    used = f"last used {t.last_used_at:%Y-%m-%d %H:%M} from {t.last_used_from}"
                self.stdout.write(f"{t.pk:>5}  {t.user.username:<14} {t.name:<20} {t.prefix}…  {state}, {used}")

    def _token(self, token_id: int) -> ApiToken:
        token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"no token {token_id}")
        return token
