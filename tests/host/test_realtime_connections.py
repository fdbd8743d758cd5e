"""How agents' Engine.IO connections run (host.realtime_connections): send queues, ping rounds."""
import threading
import time

from host.realtime_connections import FIRST_PING_SPREAD, SocketQueue


def test_the_socketio_server_gives_every_connection_a_socket_queue(app):
    assert isinstance(app.extensions["socketio"].server.eio.create_queue(), SocketQueue)


def test_packets_come_out_in_order_and_an_empty_queue_times_out():
    import queue

    packets = SocketQueue()
    for n in range(3):
        packets.put(n)
    assert [packets.get(timeout=1) for _ in range(3)] == [0, 1, 2]
    started = time.monotonic()
    try:
        packets.get(timeout=0.1)
    except queue.Empty:
        pass
    else:
        raise AssertionError("an empty queue returned a packet")
    assert time.monotonic() - started >= 0.1


def test_join_returns_once_the_writer_has_taken_every_packet():
    packets = SocketQueue()
    packets.put("message")
    packets.put(None)  # what engine.io puts to stop the writer

    def writer():
        time.sleep(0.2)
        while packets.get() is not None:
            packets.task_done()

    thread = threading.Thread(target=writer)
    thread.start()
    started = time.monotonic()
    packets.join()
    waited = time.monotonic() - started
    thread.join()
    assert packets.empty() and 0.15 <= waited < 2


def test_join_does_not_hang_on_a_writer_that_is_gone():
    packets = SocketQueue()
    packets.put("never sent")
    started = time.monotonic()
    packets.join(timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 2 and not packets.empty()


def test_a_connection_s_first_ping_comes_after_a_random_part_of_the_interval(app):
    """Agents who connect together must not be pinged together every 25 s forever after;
    never later than the interval, or clients would give up on the server."""
    import engineio.packet
    import engineio.socket

    slept = []

    class Server:
        ping_interval = 25
        ping_timeout = 20
        logger = __import__("logging").getLogger("test")

        @staticmethod
        def sleep(seconds):
            slept.append(seconds)

        @staticmethod
        def create_queue():
            return SocketQueue()

    firsts = []
    for n in range(20):
        slept.clear()
        connection = engineio.socket.Socket(Server, f"sid-{n}")
        connection._send_ping()
        sent = connection.queue.get(timeout=1)
        assert sent.packet_type == engineio.packet.PING and connection.last_ping is not None
        connection.last_ping = None  # the answer came
        connection._send_ping()
        assert len(slept) == 2 and slept[1] == 25
        firsts.append(slept[0])
    assert all((1 - FIRST_PING_SPREAD) * 25 <= wait <= 25 for wait in firsts)
    assert len({round(wait, 3) for wait in firsts}) > 10  # spread, not one fixed delay
