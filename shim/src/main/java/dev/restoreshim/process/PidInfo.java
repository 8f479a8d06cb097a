package dev.restoreshim.process;

/**
 * A pid inside a container, with the exec id when the shim exec'd it (empty otherwise).
 */
public record PidInfo(int pid, String execId) {
}
