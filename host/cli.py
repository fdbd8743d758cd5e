"""The ``switchboard`` command: a Flask CLI with Switchboard's own commands."""
from __future__ import annotations

import logging
import os
import secrets

import click
from flask import current_app
from flask.cli import FlaskGroup, pass_script_info, routes_command, shell_command, with_appcontext

from host.extensions import db


def _create_app():
    from host import create_app

    return create_app()


# Flask's generic ``run`` is left out: it would serve without realtime and without the
# outbox worker, and sit beside ``serve`` looking like the real thing.
@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False,
             add_default_commands=False)
def main():
    """Switchboard: the helpdesk for your customers' messages and calls.

    Start with `switchboard serve` (development server with realtime and the outbox
    worker; `--production` for gunicorn).
    """


main.add_command(shell_command)
main.add_command(routes_command)
for _option in main.params:  # Flask's --app/--env-file/--debug load other apps; not ours to offer
    if _option.name in ("app", "env_file", "debug"):
        _option.hidden = True


# --- database ----------------------------------------------------------------------------

@main.group("db", invoke_without_command=False)
def db_group():
    """Database migrations (Alembic, one branch per plugin)."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision):
    """Apply migrations of the host and every installed plugin."""
    import flask_migrate

    flask_migrate.upgrade(revision=revision)
    click.echo("Database is up to date.")


@db_group.command("check")
@with_appcontext
def db_check():
    """Fail if the models and the migrations disagree."""
    from host.migration_check import differences

    diff = differences()
    if diff:
        for line in diff:
            click.echo(f"  {line}")
        raise click.ClickException("Models and migrations differ; write a migration.")
    click.echo("Models and migrations agree.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--branch", default="host", help="host or a plugin name")
@with_appcontext
def db_revision(message, branch):
    """Autogenerate a revision on the host's or a plugin's branch."""
    import flask_migrate

    folders = dict(current_app.extensions["switchboard"].migration_folders)
    from host.migration_check import HOST_VERSIONS

    flask_migrate.revision(message=message, autogenerate=True, head=f"{branch}@head",
                           version_path=folders.get(branch, str(HOST_VERSIONS)))


# --- plugins -------------------------------------------------------------------------------

@main.group("plugins")
def plugins_group():
    """List, enable and disable plugins."""


@plugins_group.command("list")
@with_appcontext
def plugins_list():
    from host.api.meta import plugin_rows

    for row in plugin_rows():
        state = "enabled " if row["enabled"] else "disabled"
        flag = " (essential)" if row["essential"] else ""
        click.echo(f"{state}  {row['name']:<20} {row['version'] or '-':<10} {row['source']}{flag}")


def _switch(name: str, enabled: bool):
    from host import settings as settings_store
    from host.plugins import PluginError

    if enabled and name in current_app.extensions["switchboard"].settings:
        problems = settings_store.problems(name)
        if problems:
            raise click.ClickException(f"{name} has settings that need attention: " + "; ".join(problems))
    try:
        current_app.extensions["switchboard"].plugins.set_enabled(name, enabled)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{name} {'enabled' if enabled else 'disabled'}.")


@plugins_group.command("enable")
@click.argument("name")
@with_appcontext
def plugins_enable(name):
    _switch(name, True)


@plugins_group.command("disable")
@click.argument("name")
@with_appcontext
def plugins_disable(name):
    _switch(name, False)


# --- plugin settings -------------------------------------------------------------------

@main.group("settings")
def settings_group():
    """Read and change plugin settings (secrets are never printed)."""


@settings_group.command("show")
@click.argument("plugin")
@with_appcontext
def settings_show(plugin):
    import json

    from host import settings as store

    for field in store.form_fields(plugin) if plugin in current_app.extensions["switchboard"].settings else []:
        value = field["value"]
        shown = (("(set)" if field["is_set"] else "(not set)") if field["secret"]
                 else "" if value is None else value if isinstance(value, str) else json.dumps(value))
        click.echo(f"{field['name']}: {shown}")


@settings_group.command("set")
@click.argument("plugin")
@click.argument("values", nargs=-1, required=True)
@with_appcontext
def settings_set(plugin, values):
    """Set KEY=VALUE pairs (VALUE may be JSON, e.g. numbers='["+15550000"]')."""
    import json

    from marshmallow import ValidationError

    from host import settings as store

    if plugin not in current_app.extensions["switchboard"].settings:
        raise click.ClickException(f"{plugin} has no settings.")
    data = store.stored(plugin)
    for pair in values:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise click.ClickException(f"Write {pair!r} as KEY=VALUE.")
        try:
            data[key] = json.loads(raw)
        except json.JSONDecodeError:
            data[key] = raw
    try:
        store.save(plugin, data)
    except ValidationError as exc:
        raise click.ClickException("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.messages.items())) from exc
    click.echo(f"Saved {len(values)} setting(s) for {plugin}.")


# --- agents and tokens ---------------------------------------------------------------------

@main.group("agents")
def agents_group():
    """Manage agents."""


@agents_group.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the agent the admin role.")
@click.option("--name", default="")
@click.option("--password", default=None, help="Default: a random password, printed once.")
@click.option("--group", "groups", multiple=True, help="Group name (created if missing).")
@with_appcontext
def agents_create(email, admin, name, password, groups):
    from host.models import Agent, Group

    email = email.strip().lower()
    if db.session.execute(db.select(Agent).where(Agent.email == email)).scalar_one_or_none():
        raise click.ClickException(f"An agent with the email {email} already exists.")
    shown = password is None
    password = password or secrets.token_urlsafe(12)
    if len(password) < 10:
        raise click.ClickException("Use at least 10 characters for the password.")
    agent = Agent(email=email, name=name, role="admin" if admin else "agent")
    agent.set_password(password)
    for group_name in groups:
        group = db.session.execute(db.select(Group).where(Group.name == group_name)).scalar_one_or_none()
        agent.groups.append(group or Group(name=group_name))
    db.session.add(agent)
    db.session.commit()
    click.echo(f"Created {'admin' if admin else 'agent'} {email}.")
    if shown:
        click.echo(f"Password: {password}")


def _agent(email: str):
    from host.models import Agent

    agent = db.session.execute(db.select(Agent).where(Agent.email == email.strip().lower())).scalar_one_or_none()
    if agent is None:
        raise click.ClickException(f"There is no agent with the email {email}.")
    return agent


@agents_group.command("deactivate")
@click.argument("email")
@with_appcontext
def agents_deactivate(email):
    """Sign the agent out everywhere, close their open consoles, revoke their tokens for good."""
    from host import credentials

    agent = _agent(email)
    credentials.deactivate(agent)
    db.session.commit()
    click.echo(f"{agent.email} is deactivated: signed out everywhere, API tokens revoked.")


@agents_group.command("activate")
@click.argument("email")
@with_appcontext
def agents_activate(email):
    """Let a deactivated agent sign in again (their old tokens stay revoked)."""
    agent = _agent(email)
    agent.is_active_agent = True
    db.session.commit()
    click.echo(f"{agent.email} can sign in again.")


@agents_group.command("set-password")
@click.argument("email")
@click.password_option("--password", help="Default: asked for, twice.")
@with_appcontext
def agents_set_password(email, password):
    """Give the agent a new password; every sign-in of theirs ends."""
    from host import credentials
    from host.profile import password_problem

    agent = _agent(email)
    if problem := password_problem(password):
        raise click.ClickException(problem)
    ended = credentials.change_password(agent, password)
    db.session.commit()
    click.echo(f"{agent.email} has a new password; {ended} sign-in(s) ended.")


@agents_group.command("set-groups")
@click.argument("email")
@click.option("--group", "groups", multiple=True, help="Group name; repeat for several, none for no group.")
@with_appcontext
def agents_set_groups(email, groups):
    """Replace the agent's groups (open consoles follow within seconds)."""
    from host.models import Group

    agent = _agent(email)
    found = db.session.execute(db.select(Group).where(Group.name.in_(groups))).scalars().all()
    missing = set(groups) - {g.name for g in found}
    if missing:
        raise click.ClickException(f"There is no group called {sorted(missing)[0]!r}.")
    agent.groups = list(found)
    db.session.commit()
    click.echo(f"{agent.email} is in: {', '.join(sorted(groups)) or 'no group'}.")


@agents_group.command("sign-out")
@click.argument("email")
@with_appcontext
def agents_sign_out(email):
    """End every sign-in of the agent (a lost laptop); tokens keep working."""
    from host import credentials

    agent = _agent(email)
    ended = credentials.end_sessions(agent)
    db.session.commit()
    click.echo(f"{ended} sign-in(s) of {agent.email} ended.")


@main.group("tokens")
def tokens_group():
    """API tokens (Authorization: Bearer …)."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="cli")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None,
              help="The token stops working after this many days. [default: never]")
@with_appcontext
def tokens_create(email, name, expires_in_days):
    """Print a new token for the agent (shown once)."""
    from host.api.agents import issue_token

    agent = _agent(email)
    if not agent.is_active:
        raise click.ClickException(f"{agent.email} is deactivated; activate the agent first.")
    click.echo(issue_token(agent, name, expires_in_days))


@tokens_group.command("list")
@click.argument("email")
@with_appcontext
def tokens_list(email):
    """The agent's tokens: id, state, name, when created, last used and when it ends."""
    from host import credentials

    def day(value):
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"

    tokens = credentials.tokens_of(_agent(email))
    if not tokens:
        click.echo("No tokens.")
        return
    click.echo(f"{'ID':>5}  {'STATE':<8} {'NAME':<24} {'CREATED (UTC)':<17} {'LAST USED':<17} ENDS")
    for token in tokens:
        ends = f"revoked {day(token.revoked_at)}" if token.revoked_at else (day(token.expires_at) if token.expires_at
                                                                            else "never")
        click.echo(f"{token.id:>5}  {token.state:<8} {token.name[:24]:<24} {day(token.created_at):<17} "
                   f"{day(token.last_used_at):<17} {ends}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id):
    """Revoke a token by its id (see `tokens list`): it stops working at once."""
    from host import credentials
    from host.models import ApiToken

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"There is no token with the id {token_id}.")
    if not credentials.revoke_token(token):
        click.echo(f"Token {token_id} was revoked already.")
        return
    db.session.commit()
    click.echo(f"Token {token_id} ({token.name or 'unnamed'}) of {token.agent.email} is revoked.")


# --- demo and serving ----------------------------------------------------------------------

@main.command("demo")
@click.option("--force", is_flag=True, help="Load even if the database already has agents.")
@with_appcontext
def demo(force):
    """Load demo agents, groups and chats into an empty database."""
    from host.demo import DEMO_LOGIN, load_demo

    if load_demo(force=force):
        click.echo(f"Demo data loaded. Sign in as {DEMO_LOGIN}.")
    else:
        click.echo("The database already has agents; demo data not loaded (use --force).")


@main.command("serve")
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.option("--worker/--no-worker", default=None,
              help="Run the outbox sender and the inbox worker in this process.")
@click.option("--production", is_flag=True,
              help="Serve HTTP with gunicorn (gthread); agents connect to `switchboard realtime` processes.")
@click.option("--threads", default=None, type=int,
              help="--production: worker threads, the requests served at once. [8]")
@pass_script_info
def serve(info, host, port, worker, production, threads):
    """Serve the app with realtime (Socket.IO) and the outbox worker."""
    from host import config as config_module

    host = host or config_module.from_env("HOST")
    port = port or config_module.from_env("PORT")
    if production:
        from host import serving

        _need_redis("serve --production")
        click.echo(f"Switchboard HTTP (gunicorn, gthread) is starting on http://{host}:{port}/")
        serving.run(host, port, threads=threads or serving.DEFAULT_THREADS, outbox=worker)
        return
    if threads is not None:
        raise click.UsageError("--threads applies to --production only.")
    app = info.load_app()
    with app.app_context():
        _serve_development(app, host, port, worker)


@main.command("realtime")
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.option("--connections", default=None, type=int,
              help="Open connections this process accepts at most (gunicorn's worker_connections). [10000]")
def realtime(host, port, connections):
    """Serve the agents' realtime connections (Socket.IO on gevent, through Redis) in production."""
    import sys

    from host import config as config_module

    _need_redis("switchboard realtime")
    host = host or config_module.from_env("HOST")
    port = port or config_module.from_env("PORT")
    args = ["--host", host, "--port", str(port)] + (["--connections", str(connections)] if connections else [])
    click.echo(f"Switchboard realtime (gunicorn, gevent) is starting on http://{host}:{port}/socket.io/")
    sys.stdout.flush()
    # A fresh interpreter: gevent patches the standard library when gunicorn forks its
    # worker, and nothing this command imported (Flask, SQLAlchemy) may predate that.
    os.execv(sys.executable, [sys.executable, "-m", "host.realtime_server", *args])


def _need_redis(command: str) -> None:
    from host import config as config_module

    if not config_module.from_env("REDIS_URL"):
        raise click.UsageError(f"{command} needs SWITCHBOARD_REDIS_URL: realtime events travel between "
                               "the HTTP, realtime and worker processes through Redis.")


class DevelopmentServerNotice(logging.Filter):
    """Drops Werkzeug's warning that it is not a production server (we know; see serve)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "used in a production deployment" not in record.getMessage()


def _serve_development(app, host, port, worker):
    from host.demo import DEMO_LOGIN, has_demo
    from host.serving import settle_garbage_collector

    socketio = app.extensions["socketio"]
    if worker if worker is not None else app.config["SWITCHBOARD_OUTBOX_WORKER"]:
        app.extensions["switchboard"].outbox.start(socketio.start_background_task)
    settle_garbage_collector()
    click.echo(f"Switchboard is running on http://{host}:{port}/")
    if has_demo():
        click.echo(f"Demo sign-in: {DEMO_LOGIN}")
    # Flask refuses app.run() under its own CLI; serving is exactly what we were asked for.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    # The development server is chosen on purpose here (`serve --production` is gunicorn),
    # so Werkzeug's "production deployment" warning would only alarm.
    logging.getLogger("werkzeug").addFilter(DevelopmentServerNotice())
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False)


@main.command("worker")
@click.option("--nice", "niceness", type=click.IntRange(0, 19), default=19, show_default=True,
              help="How much CPU this process leaves to the others on the machine (Unix nice).")
@with_appcontext
def worker(niceness):
    """Run only the outbox sender and the inbox worker (a dedicated worker process;
    several may run at once)."""
    import threading

    # The worker's work can wait and a webhook's answer cannot: at the lowest priority the
    # worker takes the CPU the HTTP processes leave, so a burst grows the inbox for a
    # while instead of slowing every acknowledgement (the backlog drains once it passes).
    # The lowest, not a middle one: what the worker does makes work for the realtime
    # processes (each event pushed to a group of agents), which run at normal priority, so
    # at nice 10 a burst's answers still lost the CPU to the pushes (benchmarks/load.py:
    # burst p99 68-102 ms at nice 10, 63-66 ms at 19; README *Capacity*).
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    app = current_app._get_current_object()
    outbox = app.extensions["switchboard"].outbox
    click.echo("Outbox and inbox worker running; Ctrl+C stops it.")
    outbox.start(app.extensions["socketio"].start_background_task)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        outbox.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
