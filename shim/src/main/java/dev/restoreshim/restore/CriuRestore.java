package dev.restoreshim.restore;

import dev.restoreshim.criu.CriuConfigFile;
import dev.restoreshim.criu.CriuEncryption;
import dev.restoreshim.criu.CriuException;
import dev.restoreshim.criu.CriuFeatures;
import dev.restoreshim.criu.CriuOption;
import dev.restoreshim.criu.CriuOptions;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CRIU side of one restore, from {@link CriuSetup#prepare}: its merged options, checked
 * against the checkpoint's images ({@link #checkImages}, before anything is mounted; it may drop
 * {@code auto-dedup}), and written into the bundle as a CRIU config file named by the
 * {@code org.criu.config} annotation ({@link #writeInto}, before {@code runc restore}).
 *
 * @param options the merged options
 * @param features what this node's CRIU can do
 * @param label {@code ns=... id=...} for logs and the config file's comment
 * @param checkpoint the checkpoint path, for messages
 */
public record CriuRestore(CriuOptions options, CriuFeatures features, String label, String checkpoint) {
    private static final Logger LOG = LoggerFactory.getLogger(CriuRestore.class);

    /**
     * Checks these options against the checkpoint's images, before anything is mounted; returns
     * the options to restore with.
     * <ul>
     *   <li>Refuses a checkpoint this CRIU cannot restore: an encrypted one (non-empty
     *       {@code cipher.img}) without a CRIU that decrypts or without a key.</li>
     *   <li>Drops {@code auto-dedup} when CRIU reads images that are not this restore's own copy:
     *       with it, CRIU opens the page images for writing and punches out every page it has
     *       restored, which would empty a shared archive mount, a pulled restore image's layer or
     *       a directory someone restores again (on a read-only mount the restore would fail
     *       instead). It only ever frees a private staging copy's memory early, so nothing else
     *       changes. Logged as {@code event=criu_option_dropped}.</li>
     * </ul>
     *
     * @throws dev.restoreshim.errors.ShimException FAILED_PRECONDITION saying why it cannot restore
     */
    public CriuRestore checkImages(CheckpointImages images) {
        try {
            CriuEncryption.check(images.nonEmpty().test(CriuEncryption.CIPHER_IMAGE), checkpoint, features, options);
        } catch (CriuException e) {
            throw CriuErrors.toShim(e);
        }
        if (images.ownCopy() || !options.enabled(CriuOption.AUTO_DEDUP)) {
            return this;
        }
        LOG.info("event=criu_option_dropped {} option={} source={} reason=\"the images are read where they lie, not"
                + " from a copy of this restore; auto-dedup would punch their pages out\"", label,
                CriuOption.AUTO_DEDUP.key(), options.sources().get(CriuOption.AUTO_DEDUP));
        return new CriuRestore(options.without(CriuOption.AUTO_DEDUP), features, label, checkpoint);
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
