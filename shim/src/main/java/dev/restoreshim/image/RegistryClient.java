package dev.restoreshim.image;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * A client of the OCI distribution API ({@code /v2/}) of one registry, on {@link HttpClient}:
 * manifests, blob existence, cross-repository mounts, blob reads, chunked blob uploads and
 * manifest pushes. Anonymous registries and anonymous bearer tokens (a 401 naming a token realm
 * is answered once with a token fetched from that realm) are supported; credentials are not.
 *
 * <p>Failures are {@link ShimException}s whose one-line message names the registry, the request,
 * the HTTP status and the start of the response body. Thread-safe except the cached token, which
 * is a volatile field replaced whole.
 */
public final class RegistryClient {
    private static final int BODY_IN_MESSAGE = 300;

    private final String host;
    private final URI base;
    private final HttpClient http;
    private volatile String token;

    /**
     * @param host {@code host[:port]} to connect to
     * @param plainHttp use {@code http://} (a loopback registry) instead of {@code https://}
     */
    public RegistryClient(String host, boolean plainHttp) {
        this.host = host;
        this.base = URI.create((plainHttp ? "http://" : "https://") + host + "/");
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(15))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    public String host() {
        return host;
    }

    /** A fetched manifest: its bytes, media type (Content-Type) and digest. */
    public record Manifest(byte[] bytes, String mediaType, String digest) {
    }

    /**
     * GETs the manifest {@code reference} (tag or digest) of {@code repository}.
     *
     * @throws ShimException NOT_FOUND when the registry has no such manifest
     */
    public Manifest manifest(String repository, String reference) {
        HttpRequest.Builder req = request("v2/" + repository + "/manifests/" + reference)
                .header("Accept", MediaTypes.ACCEPT_MANIFESTS).GET();
        HttpResponse<byte[]> r = send(req, HttpResponse.BodyHandlers.ofByteArray(), "GET manifest " + repository + ":" + reference);
        if (r.statusCode() == 404) {
            throw ShimException.notFound("registry " + host + ": image " + repository + ":" + reference
                    + " not found (GET manifest: status 404)");
        }
        expect(r, 200, "GET manifest " + repository + ":" + reference);
        String type = r.headers().firstValue("Content-Type").orElse("").split(";")[0].strip();
        String digest = Digests.of(r.body());
        if (reference.startsWith("sha256:") && !reference.equals(digest)) {
            throw ShimException.invalidArgument("registry " + host + ": manifest " + repository + "@" + reference
                    + " has digest " + digest);
        }
        return new Manifest(r.body(), type, digest);
    }

    /** HEAD of a blob: true when {@code repository} has it. */
    public boolean blobExists(String repository, String digest) {
        HttpRequest.Builder req = request("v2/" + repository + "/blobs/" + digest)
                .method("HEAD", HttpRequest.BodyPublishers.noBody());
        HttpResponse<Void> r = send(req, HttpResponse.BodyHandlers.discarding(), "HEAD blob " + repository + "@" + digest);
        if (r.statusCode() == 404) {
            return false;
        }
        expect(r, 200, "HEAD blob " + repository + "@" + digest);
        return true;
    }

    /**
     * Asks the registry to link blob {@code digest} of {@code from} into {@code repository}
     * (cross-repository mount). Returns false when the registry declined (it then opened an upload
     * session, which is cancelled here).
     */
    public boolean mount(String repository, String digest, String from) {
        String what = "POST mount " + digest + " from " + from + " into " + repository;
        HttpRequest.Builder req = request("v2/" + repository + "/blobs/uploads/?mount=" + encode(digest) + "&from=" + encode(from))
                .POST(HttpRequest.BodyPublishers.noBody());
        HttpResponse<byte[]> r = send(req, HttpResponse.BodyHandlers.ofByteArray(), what);
        if (r.statusCode() == 201) {
            return true;
        }
        expect(r, 202, what);
        r.headers().firstValue("Location").ifPresent(loc -> {
            try {
                send(requestAt(resolve(loc)).DELETE(), HttpResponse.BodyHandlers.discarding(), "DELETE upload");
            } catch (ShimException ignored) {
                // an abandoned upload session expires on the registry
            }
        });
        return false;
    }

    /** GETs a blob; the caller closes the stream (and verifies the digest if it must). */
    public InputStream openBlob(String repository, String digest) {
        HttpRequest.Builder req = request("v2/" + repository + "/blobs/" + digest).GET();
        HttpResponse<InputStream> r = send(req, HttpResponse.BodyHandlers.ofInputStream(), "GET blob " + repository + "@" + digest);
        if (r.statusCode() != 200) {
            String body;
            try (InputStream in = r.body()) {
                body = new String(in.readNBytes(BODY_IN_MESSAGE), StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            throw failure(r.statusCode(), body, "GET blob " + repository + "@" + digest);
        }
        return r.body();
    }

    /** Opens an upload session in {@code repository}; returns its first upload location. */
    URI startUpload(String repository) {
        String what = "POST upload to " + repository;
        HttpRequest.Builder req = request("v2/" + repository + "/blobs/uploads/").POST(HttpRequest.BodyPublishers.noBody());
        HttpResponse<byte[]> r = send(req, HttpResponse.BodyHandlers.ofByteArray(), what);
        expect(r, 202, what);
        return location(r, what);
    }

    /**
     * PATCHes one chunk {@code [offset, offset+len)} of an upload; returns the next location.
     */
    URI patch(URI location, byte[] data, int len, long offset) {
        String what = "PATCH upload chunk at " + offset;
        HttpRequest.Builder req = requestAt(location)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", offset + "-" + (offset + len - 1))
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(data, 0, len));
        HttpResponse<byte[]> r = send(req, HttpResponse.BodyHandlers.ofByteArray(), what);
        expect(r, 202, what);
        return location(r, what);
    }

    /** Starts one streamed PATCH whose body is read from {@code body} until its end. */
    java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> patchStream(URI location, InputStream body) {
        HttpRequest.Builder req = requestAt(location)
                .header("Content-Type", "application/octet-stream")
                .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> body));
        String t = token;
        if (t != null) {
            req.setHeader("Authorization", "Bearer " + t);
        }
        return http.sendAsync(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Waits for a streamed PATCH; returns the location to complete the upload at. */
    URI finishPatch(java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> patch) {
        String what = "PATCH streamed upload";
        HttpResponse<byte[]> r;
        try {
            r = patch.join();
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ShimException(ErrorKind.UNAVAILABLE, "registry " + host + ": " + what + ": " + cause);
        }
        expect(r, 202, what);
        return location(r, what);
    }

    /** Completes an upload: PUT {@code location?digest=}. */
    void completeUpload(URI location, String digest) {
        String what = "PUT upload of " + digest;
        String sep = location.getRawQuery() == null ? "?" : "&";
        HttpRequest.Builder req = requestAt(URI.create(location + sep + "digest=" + encode(digest)))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.noBody());
        expect(send(req, HttpResponse.BodyHandlers.ofByteArray(), what), 201, what);
    }

    /** Abandons an upload session; never throws. */
    void cancelUpload(URI location) {
        try {
            send(requestAt(location).DELETE(), HttpResponse.BodyHandlers.discarding(), "DELETE upload");
        } catch (RuntimeException ignored) {
            // the registry expires abandoned sessions
        }
    }

    /** PUTs a manifest under {@code reference} (a tag); returns its digest. */
    public String putManifest(String repository, String reference, String mediaType, byte[] manifest) {
        String what = "PUT manifest " + repository + ":" + reference;
        HttpRequest.Builder req = request("v2/" + repository + "/manifests/" + reference)
                .header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest));
        expect(send(req, HttpResponse.BodyHandlers.ofByteArray(), what), 201, what);
        return Digests.of(manifest);
    }

    /** PUTs a small blob in one request (POST then PUT with the body). */
    public void putBlob(String repository, String digest, byte[] data) {
        URI loc = startUpload(repository);
        String what = "PUT blob " + digest;
        String sep = loc.getRawQuery() == null ? "?" : "&";
        HttpRequest.Builder req = requestAt(URI.create(loc + sep + "digest=" + encode(digest)))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(data));
        expect(send(req, HttpResponse.BodyHandlers.ofByteArray(), what), 201, what);
    }

    private HttpRequest.Builder request(String path) {
        return requestAt(base.resolve(path));
    }

    private HttpRequest.Builder requestAt(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).header("User-Agent", "restore-shim");
    }

    private URI resolve(String location) {
        return base.resolve(location);
    }

    private URI location(HttpResponse<?> r, String what) {
        Optional<String> loc = r.headers().firstValue("Location");
        if (loc.isEmpty()) {
            throw ShimException.failedPrecondition("registry " + host + ": " + what + ": status " + r.statusCode()
                    + " without a Location header");
        }
        return resolve(loc.get());
    }

    /** Sends with the cached token; on a 401 naming a bearer realm, fetches a token and sends once more. */
    private <T> HttpResponse<T> send(HttpRequest.Builder req, HttpResponse.BodyHandler<T> body, String what) {
        String t = token;
        if (t != null) {
            req.setHeader("Authorization", "Bearer " + t);
        }
        HttpResponse<T> r = exchange(req.build(), body, what);
        if (r.statusCode() == 401) {
            Optional<String> challenge = r.headers().firstValue("WWW-Authenticate");
            if (challenge.isPresent() && challenge.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
                closeQuietly(r);
                token = BearerChallenge.parse(challenge.get()).fetchToken(this::fetchToken, host);
                req.setHeader("Authorization", "Bearer " + token);
                r = exchange(req.build(), body, what);
            }
        }
        return r;
    }

    private byte[] fetchToken(URI uri) {
        HttpResponse<byte[]> r = exchange(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray(), "GET token " + uri.getHost());
        expect(r, 200, "GET token from " + uri.getHost());
        return r.body();
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> body, String what) {
        try {
            return http.send(request, body);
        } catch (ConnectException e) {
            throw new ShimException(ErrorKind.UNAVAILABLE, "registry " + host + ": " + what + ": cannot connect"
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
        } catch (IOException e) {
            throw new ShimException(ErrorKind.UNAVAILABLE, "registry " + host + ": " + what + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShimException(ErrorKind.CANCELLED, "registry " + host + ": " + what + ": interrupted");
        }
    }

    private void expect(HttpResponse<?> r, int status, String what) {
        if (r.statusCode() != status) {
            String body = r.body() instanceof byte[] b ? new String(b, 0, Math.min(b.length, BODY_IN_MESSAGE), StandardCharsets.UTF_8) : "";
            throw failure(r.statusCode(), body, what);
        }
    }

    private ShimException failure(int status, String body, String what) {
        String text = body.replaceAll("\\s+", " ").strip();
        String msg = "registry " + host + " refused " + what + ": status " + status + (text.isEmpty() ? "" : ": " + text);
        ErrorKind kind = switch (status) {
            case 404 -> ErrorKind.NOT_FOUND;
            default -> ErrorKind.FAILED_PRECONDITION;
        };
        return new ShimException(kind, msg);
    }

    private static void closeQuietly(HttpResponse<?> r) {
        if (r.body() instanceof InputStream in) {
            try {
                in.close();
            } catch (IOException ignored) {
                // nothing to keep
            }
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
