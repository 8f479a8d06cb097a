package dev.restoreshim.criu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The per-restore CRIU config file, in CRIU's config-file syntax (one option per line without the
 * leading dashes, {@code name=value} for an argument, {@code #} comments; CRIU's
 * {@code Documentation/criu.txt}, "CONFIGURATION FILES"). runc hands it to CRIU as the RPC
 * {@code config_file} when the bundle's {@value #ANNOTATION} annotation names it; CRIU reads it
 * last, after runc's RPC options. The file holds paths of key files, never their content; it is
 * written with mode 0600.
 */
public final class CriuConfigFile {
    /** The OCI annotation runc reads the CRIU config file path from. */
    public static final String ANNOTATION = "org.criu.config";
    /** The file's name in the bundle directory. */
    public static final String NAME = "criu-restore.conf";

    private CriuConfigFile() {
    }

    /** The text of the file for {@code options}: a comment naming {@code label}, then one line per option. */
    public static String render(CriuOptions options, String label) {
        StringBuilder sb = new StringBuilder("# CRIU restore options written by restore-shim for ")
                .append(label.replace('\n', ' ')).append("; sources: ");
        List<String> sources = options.sources().entrySet().stream()
                .map(e -> e.getKey().key() + "<-" + e.getValue().name().toLowerCase()).toList();
        sb.append(sources.isEmpty() ? "none" : String.join(" ", sources)).append('\n');
        for (String line : options.configLines()) {
            sb.append(line).append('\n');
        }
        return sb.toString();
    }

    /**
     * Writes {@code options} to {@code dir}/{@value #NAME} (replacing an earlier one) with mode 0600
     * and returns its path.
     *
     * @throws CriuException CRIU_FAILED when the file cannot be written
     */
    public static Path write(Path dir, CriuOptions options, String label) {
        Path file = dir.resolve(NAME);
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, render(options, label), StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new CriuException(CriuException.Reason.CRIU_FAILED, "write CRIU config " + file + ": " + e.getMessage(), e);
        }
    }
}
