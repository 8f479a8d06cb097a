package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.runc.RuncException;

/**
 * Classifies kill failures as containerd's {@code checkKillError}: a process that is already
 * gone is NotFound ("process already finished"), anything else passes through.
 */
final class KillFailures {
    private KillFailures() {
    }

    static RuntimeException classify(RuncException e) {
        String m = e.runcError();
        if (m.contains("container not running") || m.contains("process already finished")
                || m.contains("no such process") || m.contains("does not exist")) {
            return ShimException.notFound("process already finished");
        }
        return e;
    }
}
