package dev.restoreshim.restore;

import dev.restoreshim.criu.CriuConfigFile;
import dev.restoreshim.criu.CriuEncryption;
import dev.restoreshim.criu.CriuException;
import dev.restoreshim.criu.CriuFeatures;
import dev.restoreshim.criu.CriuOption;
import dev.restoreshim.criu.CriuOptions;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * The CRIU side of one restore, from {@link CriuSetup#prepare}: its merged options, checked
 * against the checkpoint's images ({@link #checkImages}, before anything is mounted), and written
 * into the bundle as a CRIU config file named by the {@code org.criu.config} annotation
 * ({@link #writeInto}, before {@code runc restore}).
 *
 * @param options the merged options
 * @param features what this node's CRIU can do
 * @param label {@code ns=... id=...} for logs and the config file's comment
 * @param checkpoint the checkpoint path, for messages
 */
public record CriuRestore(CriuOptions options, CriuFeatures features, String label, String checkpoint) {
    /**
     * Refuses a checkpoint this CRIU cannot restore with these options: an encrypted one
     * (non-empty {@code cipher.img}) without a CRIU that decrypts or without a key.
     *
     * @param nonEmptyImage whether the checkpoint has the named CRIU image, non-empty
     * @throws dev.restoreshim.errors.ShimException FAILED_PRECONDITION saying which
     */
    public void checkImages(Predicate<String> nonEmptyImage) {
        try {
            CriuEncryption.check(nonEmptyImage.test(CriuEncryption.CIPHER_IMAGE), checkpoint, features, options);
        } catch (CriuException e) {
            throw CriuErrors.toShim(e);
        }
    }

    /** Whether the restore runs with lazy pages (a {@code criu lazy-pages} daemon serves the memory). */
    public boolean lazyPages() {
        return options.enabled(CriuOption.LAZY_PAGES);
    }

    /**
     * Writes the CRIU config file into {@code bundle} and points the bundle spec's
     * {@code org.criu.config} annotation at it (replacing any value the spec had: a restore's
     * CRIU options come only from the policy). Returns the file.
     */
    public Path writeInto(Path bundle) {
        Path file;
        try {
            file = CriuConfigFile.write(bundle, options, label);
        } catch (CriuException e) {
            throw CriuErrors.toShim(e);
        }
        BundleAnnotation.set(bundle, CriuConfigFile.ANNOTATION, file.toString());
        return file;
    }
}
