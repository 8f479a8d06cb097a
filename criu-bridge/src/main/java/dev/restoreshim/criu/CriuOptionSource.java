package dev.restoreshim.criu;

/**
 * Where a CRIU option value came from, in merge order: a later source overrides an earlier one,
 * but only for options the operator allow-listed (see {@link CriuPolicy}).
 */
public enum CriuOptionSource {
    /** The handler's config file, {@code [criu.defaults]}: always applies. */
    OPERATOR("config [criu.defaults]"),
    /** A pod annotation {@code restore-shim.dev/criu-<option>} (allow-listed options only). */
    ANNOTATION("annotation"),
    /** The metadata of the restore image the checkpoint came in (allow-listed options only). */
    IMAGE("restore image metadata");

    private final String label;

    CriuOptionSource(String label) {
        this.label = label;
    }

    /** How error messages name this source. */
    public String label() {
        return label;
    }
}
