package dev.restoreshim.image;

import dev.restoreshim.errors.ShimException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A registry's {@code WWW-Authenticate: Bearer realm="...",service="...",scope="..."} challenge,
 * answered anonymously: GET {@code realm?service=&scope=} returns {@code {"token": ...}}.
 *
 * @param realm the token endpoint
 * @param params the other parameters (service, scope)
 */
record BearerChallenge(String realm, Map<String, String> params) {
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    static BearerChallenge parse(String header) {
        Map<String, String> params = new HashMap<>();
        Matcher m = PARAM.matcher(header.substring(7));
        while (m.find()) {
            params.put(m.group(1), m.group(2));
        }
        String realm = params.remove("realm");
        if (realm == null) {
            throw ShimException.failedPrecondition("registry asks for a bearer token without a realm: " + header);
        }
        return new BearerChallenge(realm, Map.copyOf(params));
    }

    /** Fetches an anonymous token with {@code get}; {@code host} names the registry in messages. */
    String fetchToken(Function<URI, byte[]> get, String host) {
        StringBuilder q = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
        params.forEach((k, v) -> q.append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&'));
        q.setLength(q.length() - 1);
        try {
            JsonNode body = JsonMapper.builder().build().readTree(get.apply(URI.create(q.toString())));
            String token = body.path("token").asString("");
            if (token.isEmpty()) {
                token = body.path("access_token").asString("");
            }
            if (token.isEmpty()) {
                throw ShimException.failedPrecondition("registry " + host + ": token endpoint " + realm + " returned no token");
            }
            return token;
        } catch (JacksonException e) {
            throw ShimException.failedPrecondition("registry " + host + ": token endpoint " + realm + " returned no JSON");
        }
    }
}
