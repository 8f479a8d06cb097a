package dev.restoreshim.criu;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The first real error of a CRIU log, classified.
 *
 * @param category what kind of failure it is
 * @param subject what it is about: a file path, a pid, a mount id; empty when the line names none
 * @param message the error's text after {@code Error (criu/<file>:<line>): }
 * @param line the whole log line, as CRIU wrote it (stripped)
 * @param log the log file it came from
 */
public record CriuLogError(Category category, String subject, String message, String line, Path log) {
    /** Kinds of CRIU failures the shim can explain in a sentence. */
    public enum Category {
        /** A file the checkpoint had open is not in the restored rootfs (or not at the same place). */
        MISSING_FILE("a file the checkpointed process had open is missing"),
        /** The image directory has no CRIU images. */
        NO_IMAGES("the image directory has no CRIU images (no inventory.img)"),
        /** A mount of the checkpoint has no counterpart in the container being restored. */
        MOUNT_MISMATCH("the container's mounts do not match the checkpoint's"),
        /** A pid of the checkpoint is taken on this node (the checkpointed pod still runs in the same pid namespace). */
        PID_IN_USE("a pid of the checkpoint is already in use"),
        /** The lazy-pages daemon was not there or failed. */
        LAZY_PAGES("lazy pages: the lazy-pages daemon is not reachable"),
        /** The kernel or this CRIU build lacks something the checkpoint uses. */
        UNSUPPORTED("unsupported by this kernel or CRIU build"),
        /** Anything else. */
        OTHER("CRIU error");

        private final String meaning;

        Category(String meaning) {
            this.meaning = meaning;
        }

        /** A sentence fragment saying what it means. */
        public String meaning() {
            return meaning;
        }
    }

    public CriuLogError {
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(line, "line");
        Objects.requireNonNull(log, "log");
    }

    /**
     * One line for an error message, e.g. {@code a file the checkpointed process had open is
     * missing: /app.sh (CRIU: "Can't open file app.sh on restore: No such file or directory"; log /x/restore.log)}.
     */
    public String describe() {
        return category.meaning() + (subject.isEmpty() ? "" : ": " + subject) + " (CRIU: \"" + message + "\"; log "
                + log + ")";
    }

    /** As {@link #describe} without the log path, for messages that name the log already. */
    public String summary() {
        return category.meaning() + (subject.isEmpty() ? "" : ": " + subject) + " (CRIU: \"" + message + "\")";
    }
}
