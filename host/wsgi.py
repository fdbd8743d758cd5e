"""WSGI entry point of the HTTP processes in production, e.g.::

    gunicorn --worker-class gthread --workers 1 --threads 8 --no-control-socket \\
        --bind 0.0.0.0:5000 host.wsgi:app

which is what ``switchboard serve --production`` runs (see ``host.serving``). Run one
such process per core (each with its own port behind the load balancer), with
``SWITCHBOARD_REDIS_URL`` set: these processes publish their events there, and the
``switchboard realtime`` processes (``host.realtime_server``) deliver them to the agents
connected to them. The outbox worker runs in each process unless
``SWITCHBOARD_OUTBOX_WORKER=false``; rows are claimed atomically, so several workers
never send the same message twice. Don't use ``--preload``: the app and its outbox
thread must start in the worker process.
"""
from host.serving import production_app

app = production_app()
