"""WSGI entry point for production servers, e.g.::

    gunicorn --worker-class host.serving.SocketIOThreadWorker --workers 1 --threads 200 --no-control-socket \\
        --bind 0.0.0.0:5000 host.wsgi:app

which is what ``switchboard serve --production`` runs (see ``host.serving`` for why
one worker and how many threads). Run one such process per core (each with its own
port behind the load balancer) and set ``SWITCHBOARD_REDIS_URL`` so Socket.IO events
reach agents on every process. The outbox worker runs in each process unless
``SWITCHBOARD_OUTBOX_WORKER=false``; rows are claimed atomically, so several workers
never send the same message twice. Don't use ``--preload``: the app and its outbox
thread must start in the worker process.
"""
from host.serving import production_app

app = production_app()
