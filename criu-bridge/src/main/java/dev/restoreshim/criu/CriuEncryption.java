package dev.restoreshim.criu;

/**
 * Encrypted checkpoints (CRIU PR #2297): a non-empty {@value #CIPHER_IMAGE} among the images means
 * every image is encrypted and CRIU needs a build with image encryption and the private key
 * ({@code tls-key}). {@link #check} refuses a restore that cannot succeed, before anything is
 * mounted.
 */
public final class CriuEncryption {
    /** The image that holds the wrapped keys of an encrypted checkpoint. */
    public static final String CIPHER_IMAGE = "cipher.img";

    private CriuEncryption() {
    }

    /**
     * Refuses restoring an encrypted checkpoint with a CRIU that cannot decrypt, or without a key.
     * An unencrypted checkpoint passes whatever the options.
     *
     * @param encrypted whether the checkpoint has a non-empty {@value #CIPHER_IMAGE}
     * @param checkpoint how messages name the checkpoint
     * @throws CriuException UNSUPPORTED or KEY_UNAVAILABLE saying exactly which
     */
    public static void check(boolean encrypted, String checkpoint, CriuFeatures features, CriuOptions options) {
        if (!encrypted) {
            return;
        }
        if (!features.encryption()) {
            throw new CriuException(CriuException.Reason.UNSUPPORTED, "checkpoint " + checkpoint + " is encrypted ("
                    + CIPHER_IMAGE + " present), but the installed CRIU " + features.binary() + " "
                    + (features.version().isEmpty() ? "(version unknown)" : features.version())
                    + " cannot decrypt images (no image encryption in this build: it needs CRIU with"
                    + " checkpoint-restore/criu PR #2297)");
        }
        if (options.file(CriuOption.TLS_KEY).isEmpty()) {
            throw new CriuException(CriuException.Reason.KEY_UNAVAILABLE, "checkpoint " + checkpoint
                    + " is encrypted (" + CIPHER_IMAGE + " present), but no decryption key is configured: set tls-key"
                    + " in the handler's [criu.defaults] to a key file under [criu] key_dirs");
        }
    }
}
