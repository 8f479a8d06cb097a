package dev.restoreshim.image;

import dev.restoreshim.errors.ShimException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A parsed image reference {@code [REGISTRY/]REPOSITORY[:TAG][@DIGEST]}, normalized as containerd
 * and Docker do: no registry means {@code docker.io}, and a one-component repository there gets
 * {@code library/}. The first component is a registry when it has a '.' or ':' or is
 * {@code localhost}.
 *
 * @param registry host[:port] as written ({@code docker.io} for Docker Hub)
 * @param repository the repository path, e.g. {@code library/busybox}
 * @param tag the tag, or null
 * @param digest {@code sha256:HEX}, or null
 */
public record ImageRef(String registry, String repository, String tag, String digest) {
    private static final Pattern REPO = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    public ImageRef {
        Objects.requireNonNull(registry);
        Objects.requireNonNull(repository);
    }

    /**
     * Parses {@code text}.
     *
     * @throws ShimException INVALID_ARGUMENT naming the reference and what is wrong
     */
    public static ImageRef parse(String text) {
        String rest = text.strip();
        if (rest.isEmpty()) {
            throw ShimException.invalidArgument("image reference \"\" is empty");
        }
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw ShimException.invalidArgument("image reference \"" + text + "\": digest is not sha256:<64 hex>");
            }
        }
        String registry = "docker.io";
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                registry = first;
                rest = rest.substring(slash + 1);
            }
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon >= 0) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw ShimException.invalidArgument("image reference \"" + text + "\": bad tag \"" + tag + "\"");
            }
        }
        if (registry.equals("docker.io") && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        if (!REPO.matcher(rest).matches()) {
            throw ShimException.invalidArgument("image reference \"" + text + "\": bad repository \"" + rest + "\"");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageRef(registry, rest, tag, digest);
    }

    /** What to ask the registry for: the digest when there is one, else the tag. */
    public String reference() {
        return digest != null ? digest : tag;
    }

    /** The host to connect to: Docker Hub's API host for {@code docker.io}. */
    public String apiHost() {
        return registry.equals("docker.io") ? "registry-1.docker.io" : registry;
    }

    /** The same repository with another tag and no digest. */
    public ImageRef withTag(String newTag) {
        return new ImageRef(registry, repository, newTag, null);
    }

    @Override
    public String toString() {
        return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
