package dev.restoreshim.cli;

import dev.restoreshim.proto.admin.StatusResponse;
import java.nio.file.Path;

/**
 * What {@code status} learned about one daemon.
 *
 * @param dir the daemon directory
 * @param health the Health/Check answer (SERVING, NOT_SERVING, ...) or "UNREACHABLE"
 * @param status the Admin/Status answer, or null when it failed
 * @param error why a call failed, or null
 */
record DaemonReport(Path dir, String health, StatusResponse status, String error) {
    /** Whether the daemon answered both calls and reports SERVING. */
    boolean healthy() {
        return "SERVING".equals(health) && status != null && error == null;
    }
}
