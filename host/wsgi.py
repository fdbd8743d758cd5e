"""WSGI entry point for production servers, e.g.::

    gunicorn --worker-class gthread --threads 50 --workers 1 --bind 0.0.0.0:5000 host.wsgi:app

Run one such process per core (each with its own port behind the load balancer) and
set ``SWITCHBOARD_REDIS_URL`` so Socket.IO events reach agents on every process. The
outbox worker runs in each process unless ``SWITCHBOARD_OUTBOX_WORKER=false``; rows
are claimed atomically, so several workers never send the same message twice.
"""
from host import create_app

app = create_app()
if app.config["SWITCHBOARD_OUTBOX_WORKER"]:
    app.extensions["switchboard"].outbox.start(app.extensions["socketio"].start_background_task)
