package dev.restoreshim.image;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process OCI distribution registry on loopback, enough for the converter: manifests,
 * blobs (HEAD/GET), uploads (POST, with cross-repository mount; PATCH with Content-Range; PUT
 * with digest) and a log of requests. Blobs are stored once and linked per repository, as real
 * registries do.
 */
public final class FakeRegistry implements AutoCloseable {
    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    final Map<String, Set<String>> links = new ConcurrentHashMap<>();
    final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    final Map<String, String> manifestTypes = new ConcurrentHashMap<>();
    final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Digests whose bytes were received through an upload. */
    public final Set<String> uploaded = ConcurrentHashMap.newKeySet();
    /** When set, every PATCH is refused with 416 after its body was read. */
    volatile boolean refusePatches;
    private final Map<String, ByteArrayOutputStream> sessions = new ConcurrentHashMap<>();
    private final HttpServer server;

    public FakeRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/v2/", this::handle);
        server.start();
    }

    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** Stores a blob linked into {@code repo}; returns its digest. */
    String putBlob(String repo, byte[] data) {
        String d = Digests.of(data);
        blobs.put(d, data);
        links.computeIfAbsent(repo, r -> ConcurrentHashMap.newKeySet()).add(d);
        return d;
    }

    void putManifest(String repo, String ref, String type, byte[] data) {
        manifests.put(repo + ":" + ref, data);
        manifests.put(repo + ":" + Digests.of(data), data);
        manifestTypes.put(repo + ":" + ref, type);
        manifestTypes.put(repo + ":" + Digests.of(data), type);
    }

    public long count(String prefix) {
        synchronized (log) {
            return log.stream().filter(l -> l.startsWith(prefix)).count();
        }
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String method = x.getRequestMethod();
            String path = x.getRequestURI().getPath().substring("/v2/".length());
            String query = x.getRequestURI().getRawQuery() == null ? "" : x.getRequestURI().getRawQuery();
            byte[] body = x.getRequestBody().readAllBytes();
            log.add(method + " " + path + (query.isEmpty() ? "" : "?" + query));
            int m = path.lastIndexOf("/manifests/");
            int u = path.indexOf("/blobs/uploads/");
            int b = path.lastIndexOf("/blobs/");
            if (m > 0) {
                manifest(x, method, path.substring(0, m), path.substring(m + "/manifests/".length()), body);
            } else if (u > 0) {
                upload(x, method, path.substring(0, u), path.substring(u + "/blobs/uploads/".length()), params(query), body);
            } else if (b > 0) {
                blob(x, method, path.substring(0, b), path.substring(b + "/blobs/".length()));
            } else {
                reply(x, 404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}");
            }
        }
    }

    private void manifest(HttpExchange x, String method, String repo, String ref, byte[] body) throws IOException {
        String key = repo + ":" + ref;
        if (method.equals("PUT")) {
            putManifest(repo, ref, x.getRequestHeaders().getFirst("Content-Type"), body);
            x.getResponseHeaders().add("Docker-Content-Digest", Digests.of(body));
            reply(x, 201, "");
            return;
        }
        byte[] data = manifests.get(key);
        if (data == null) {
            reply(x, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}");
            return;
        }
        x.getResponseHeaders().add("Content-Type", manifestTypes.get(key));
        x.sendResponseHeaders(200, data.length);
        x.getResponseBody().write(data);
    }

    private void blob(HttpExchange x, String method, String repo, String digest) throws IOException {
        byte[] data = blobs.get(digest);
        if (data == null || !links.getOrDefault(repo, Set.of()).contains(digest)) {
            reply(x, 404, method.equals("HEAD") ? null : "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}");
            return;
        }
        if (method.equals("HEAD")) {
            x.getResponseHeaders().add("Content-Length", String.valueOf(data.length));
            x.sendResponseHeaders(200, -1);
            return;
        }
        x.sendResponseHeaders(200, data.length);
        x.getResponseBody().write(data);
    }

    private void upload(HttpExchange x, String method, String repo, String id, Map<String, String> q, byte[] body)
            throws IOException {
        switch (method) {
            case "POST" -> {
                String mount = q.get("mount");
                if (mount != null && links.getOrDefault(q.get("from"), Set.of()).contains(mount)) {
                    links.computeIfAbsent(repo, r -> ConcurrentHashMap.newKeySet()).add(mount);
                    reply(x, 201, "");
                    return;
                }
                String session = UUID.randomUUID().toString();
                sessions.put(session, new ByteArrayOutputStream());
                x.getResponseHeaders().add("Location", "/v2/" + repo + "/blobs/uploads/" + session + "?_state=s1");
                reply(x, 202, "");
            }
            case "PATCH" -> {
                ByteArrayOutputStream s = sessions.get(id);
                String range = x.getRequestHeaders().getFirst("Content-Range");
                if (s == null || refusePatches || (range != null && Long.parseLong(range.split("-")[0]) != s.size())) {
                    reply(x, 416, "{\"errors\":[{\"code\":\"BLOB_UPLOAD_INVALID\",\"message\":\"bad range " + range + "\"}]}");
                    return;
                }
                s.write(body);
                x.getResponseHeaders().add("Location", "/v2/" + repo + "/blobs/uploads/" + id + "?_state=s" + s.size());
                reply(x, 202, "");
            }
            case "PUT" -> {
                ByteArrayOutputStream s = sessions.remove(id);
                if (s == null) {
                    reply(x, 404, "{\"errors\":[{\"code\":\"BLOB_UPLOAD_UNKNOWN\"}]}");
                    return;
                }
                s.write(body);
                byte[] data = s.toByteArray();
                if (!Digests.of(data).equals(q.get("digest"))) {
                    reply(x, 400, "{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"provided digest did not match uploaded content\"}]}");
                    return;
                }
                uploaded.add(putBlob(repo, data));
                reply(x, 201, "");
            }
            case "DELETE" -> {
                sessions.remove(id);
                reply(x, 204, null);
            }
            default -> reply(x, 405, "");
        }
    }

    private static Map<String, String> params(String query) {
        Map<String, String> p = new HashMap<>();
        for (String kv : query.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                p.put(kv.substring(0, eq), java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return p;
    }

    private static void reply(HttpExchange x, int status, String body) throws IOException {
        if (body == null || body.isEmpty()) {
            x.sendResponseHeaders(status, -1);
            return;
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, b.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
