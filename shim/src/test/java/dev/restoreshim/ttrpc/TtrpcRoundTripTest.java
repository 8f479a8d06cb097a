package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import dev.restoreshim.proto.ttrpc.Request;
import dev.restoreshim.proto.ttrpc.Response;
import dev.restoreshim.sys.UnixSocketFile;
import io.grpc.Status;
import io.grpc.StatusException;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TtrpcRoundTripTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    private Path socket;
    private final EchoService echo = new EchoService();
    private TtrpcDispatcher dispatcher;
    private TtrpcServer server;
    private TtrpcClient client;

    @BeforeEach
    void setUp() throws IOException {
        socket = dir.resolve("t.sock");
        dispatcher = TtrpcDispatcher.builder().addService(echo.definition()).build();
        server = TtrpcServer.start(socket, dispatcher);
        client = new TtrpcClient(socket);
    }

    @AfterEach
    void tearDown() {
        echo.release.countDown();
        client.close();
        server.shutdown(Duration.ofSeconds(2));
        dispatcher.close();
    }

    private String echo(String text) throws StatusException {
        return client.call(EchoService.ECHO, StringValue.of(text), TIMEOUT, Map.of()).getValue();
    }

    @Test
    void unaryCallAndNamespace() throws Exception {
        assertEquals("hello", echo("hello"));
        assertEquals("k8s.io", client.call(EchoService.ECHO, StringValue.of("ns"), TIMEOUT,
                Map.of("containerd-namespace-ttrpc", "k8s.io")).getValue());
        assertEquals("unix://" + socket, server.address());
    }

    @Test
    void socketIsOwnerOnly() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }

    @Test
    void concurrentCallsShareOneConnectionAndAnswersMatchTheirStreams() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (var pool = Executors.newFixedThreadPool(16)) {
                List<Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    String text = "sleep:" + (i * 7 % 30) + "#" + i;
                    answers.add(pool.submit(() -> client.call(EchoService.ECHO,
                            StringValue.of(text.substring(0, text.indexOf('#'))), TIMEOUT, Map.of()).getValue() + "#"
                            + text.substring(text.indexOf('#') + 1)));
                }
                for (int i = 0; i < answers.size(); i++) {
                    assertEquals("sleep:" + (i * 7 % 30) + "#" + i, answers.get(i).get());
                }
            }
        });
        assertEquals(1, server.connectionCount());
    }

    @Test
    void errorsComeBackAsStatus() {
        var e = assertThrows(StatusException.class, () -> echo("not-found"));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(StatusException.class, () -> client.call(EchoService.unary("Missing"), StringValue.of("x"),
                TIMEOUT, Map.of()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertEquals("method test.v1.Echo/Missing", e.getStatus().getDescription());
    }

    @Test
    void timeoutFailsCallWithDeadlineExceeded() {
        var e = assertThrows(StatusException.class, () -> client.call(EchoService.ECHO, StringValue.of("block"),
                Duration.ofMillis(200), Map.of()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    }

    @Test
    void clientReconnectsAfterServerRestart() throws Exception {
        assertEquals("one", echo("one"));
        server.shutdown(Duration.ofSeconds(1));
        var e = assertThrows(StatusException.class, () -> echo("down"));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        server = TtrpcServer.start(socket, dispatcher);
        assertEquals("two", echo("two"));
    }

    @Test
    void gracefulShutdownDrainsRunningCall() throws Exception {
        CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> {
            try {
                return echo("sleep:400");
            } catch (StatusException e) {
                return e.getStatus().toString();
            }
        });
        while (server.running() == 0) {
            Thread.sleep(5);
        }
        assertTrue(server.shutdown(Duration.ofSeconds(5)));
        assertEquals("sleep:400", running.get(5, TimeUnit.SECONDS));
        assertFalse(Files.exists(socket), "socket file removed");
    }

    @Test
    void shutdownTimeoutCancelsRunningCall() throws Exception {
        CompletableFuture<Status.Code> running = CompletableFuture.supplyAsync(() -> {
            try {
                echo("block");
                return Status.Code.OK;
            } catch (StatusException e) {
                return e.getStatus().getCode();
            }
        });
        assertTrue(echo.started.await(5, TimeUnit.SECONDS));
        assertFalse(server.shutdown(Duration.ofMillis(100)));
        assertTrue(Status.Code.UNAVAILABLE == running.get(5, TimeUnit.SECONDS)
                || Status.Code.CANCELLED == running.get(5, TimeUnit.SECONDS));
        assertTrue(echo.cancelled.await(2, TimeUnit.SECONDS));
    }

    @Test
    void refusesToStealLiveSocketButReplacesStaleOne() throws Exception {
        assertThrows(FileAlreadyExistsException.class, () -> TtrpcServer.start(socket, dispatcher));
        Path stale = dir.resolve("stale.sock");
        try (var ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale));
        try (var second = TtrpcServer.start(stale, dispatcher); var c = new TtrpcClient(stale)) {
            assertEquals("ok", c.call(EchoService.ECHO, StringValue.of("ok"), TIMEOUT, Map.of()).getValue());
        }
    }

    @Test
    void refusesPeerWithOtherUid() throws Exception {
        Path other = dir.resolve("other.sock");
        var group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (var s = TtrpcServer.start(other, dispatcher, group, UnixSocketFile.currentUid() + 1);
                var c = new TtrpcClient(other)) {
            var e = assertThrows(StatusException.class,
                    () -> c.call(EchoService.ECHO, StringValue.of("x"), TIMEOUT, Map.of()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    // ---- raw wire behaviour, matching Go's ttrpc server ----

    private static void writeFrame(SocketChannel ch, long length, int stream, int type, byte[] data) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(10).putInt((int) length).putInt(stream).put((byte) type).put((byte) 0).flip();
        while (header.hasRemaining()) {
            ch.write(header);
        }
        ByteBuffer body = ByteBuffer.wrap(data);
        while (body.hasRemaining()) {
            ch.write(body);
        }
    }

    private static Map.Entry<Integer, Response> readResponse(SocketChannel ch) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(10);
        while (header.hasRemaining()) {
            if (ch.read(header) < 0) {
                throw new IOException("closed");
            }
        }
        header.flip();
        int length = header.getInt();
        int stream = header.getInt();
        assertEquals(2, header.get(), "response type");
        ByteBuffer body = ByteBuffer.allocate(length);
        while (body.hasRemaining()) {
            ch.read(body);
        }
        return Map.entry(stream, Response.parseFrom(body.flip()));
    }

    private static byte[] echoRequest(String text) {
        return Request.newBuilder().setService(EchoService.NAME).setMethod("Echo")
                .setPayload(StringValue.of(text).toByteString()).build().toByteArray();
    }

    @Test
    void oversizedRequestGetsResourceExhaustedAndConnectionGoesOn() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (var ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                int size = TtrpcFrameDecoder.MAX_DATA_LENGTH + 100;
                writeFrame(ch, size, 1, 1, new byte[size]);
                writeFrame(ch, echoRequest("after").length, 3, 1, echoRequest("after"));
                Map<Integer, Response> byStream = new HashMap<>();
                for (int i = 0; i < 2; i++) {
                    var r = readResponse(ch);
                    byStream.put(r.getKey(), r.getValue());
                }
                assertEquals(Status.Code.RESOURCE_EXHAUSTED.value(), byStream.get(1).getStatus().getCode());
                assertTrue(byStream.get(1).getStatus().getMessage().contains("length: " + size), byStream.get(1).toString());
                assertEquals("after", StringValue.parseFrom(byStream.get(3).getPayload()).getValue());
            }
        });
    }

    @Test
    void evenOrReusedStreamIdIsInvalidArgument() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (var ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                writeFrame(ch, echoRequest("x").length, 2, 1, echoRequest("x"));
                var r = readResponse(ch);
                assertEquals(2, r.getKey());
                assertEquals(Status.Code.INVALID_ARGUMENT.value(), r.getValue().getStatus().getCode());
                writeFrame(ch, echoRequest("x").length, 5, 1, echoRequest("x"));
                assertEquals(0, readResponse(ch).getValue().getStatus().getCode());
                writeFrame(ch, echoRequest("x").length, 3, 1, echoRequest("x"));
                r = readResponse(ch);
                assertEquals(3, r.getKey());
                assertEquals("StreamID cannot be re-used and must increment", r.getValue().getStatus().getMessage());
            }
        });
    }
}
