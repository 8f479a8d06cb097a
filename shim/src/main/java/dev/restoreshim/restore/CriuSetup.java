package dev.restoreshim.restore;

import dev.restoreshim.criu.CriuException;
import dev.restoreshim.criu.CriuFeatures;
import dev.restoreshim.criu.CriuOption;
import dev.restoreshim.criu.CriuOptions;
import dev.restoreshim.criu.CriuPolicy;
import dev.restoreshim.process.CreateSpec;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The node's CRIU side of restores: the handler's {@link CriuPolicy} and the features probed at
 * daemon start. {@link #prepare} turns one Create into its {@link CriuRestore}, or refuses it
 * before anything is mounted.
 */
public final class CriuSetup {
    private final CriuPolicy policy;
    private final Supplier<CriuFeatures> features;

    /**
     * @param policy the handler's {@code [criu]} table
     * @param features what CRIU and the kernel support (probed once; may block until the probe is done)
     */
    public CriuSetup(CriuPolicy policy, Supplier<CriuFeatures> features) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.features = Objects.requireNonNull(features, "features");
    }

    /** No options, nothing allowed, CRIU assumed to be a stock build (no image encryption). */
    public static CriuSetup closed() {
        CriuFeatures stock = new CriuFeatures("criu", "", false, false, false, Map.of(), "not probed");
        return new CriuSetup(CriuPolicy.closed(), () -> stock);
    }

    /** The probed features. */
    public CriuFeatures features() {
        return features.get();
    }

    /** The policy. */
    public CriuPolicy policy() {
        return policy;
    }

    /**
     * The CRIU options of the restore {@code spec} asks for: the policy's defaults, the pod's
     * {@code restore-shim.dev/criu-*} annotations from the bundle spec, then {@code imageMetadata}
     * (the restore image's CRIU options; empty for an archive). Key and certificate files are
     * checked for existence and readability, and lazy pages for kernel and CRIU support.
     *
     * @throws dev.restoreshim.errors.ShimException INVALID_ARGUMENT naming the annotation and the
     *     allow-list for a refused option; FAILED_PRECONDITION for a missing key or lazy pages
     *     this node cannot do
     */
    public CriuRestore prepare(CreateSpec spec, RestoreRequest request, Map<String, String> imageMetadata) {
        String what = "restore task \"" + spec.id() + "\"";
        try {
            CriuOptions options = policy.merge(RestoreRequest.annotationsOf(spec), imageMetadata);
            policy.checkFiles(options);
            CriuFeatures f = features.get();
            if (options.enabled(CriuOption.LAZY_PAGES) && !f.lazyPages()) {
                throw new CriuException(CriuException.Reason.UNSUPPORTED, "lazy-pages requested, but this node cannot"
                        + " serve pages lazily (criu check --feature uffd-noncoop failed"
                        + (f.problem().isEmpty() ? "" : ": " + f.problem()) + ")");
            }
            return new CriuRestore(options, f, "ns=" + spec.namespace() + " id=" + spec.id(), request.path().toString());
        } catch (CriuException e) {
            throw CriuErrors.toShim(new CriuException(e.reason(), what + ": " + e.getMessage(), e));
        }
    }
}
