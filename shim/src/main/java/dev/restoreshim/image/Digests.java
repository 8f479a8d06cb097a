package dev.restoreshim.image;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** SHA-256 digests in the OCI form {@code sha256:HEX}. */
public final class Digests {
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    private Digests() {
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** {@code sha256:HEX} of the bytes. */
    public static String of(byte[] data) {
        return format(sha256().digest(data));
    }

    /** {@code sha256:HEX} of a finished digest. */
    public static String format(byte[] hash) {
        return "sha256:" + HexFormat.of().formatHex(hash);
    }

    /** True for a well-formed sha256 digest (the only algorithm a restore image uses). */
    public static boolean valid(String digest) {
        return digest != null && DIGEST.matcher(digest).matches();
    }
}
