"""Engine.IO connections queue their packets on the C SimpleQueue (host.socket_queue)."""
import threading
import time

from host.socket_queue import SocketQueue


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
