package dev.restoreshim.archive;

import java.io.IOException;
import java.io.InputStream;

/**
 * Receives one wanted archive member during a pass. The stream ends after the member's declared
 * size; what the consumer leaves unread is skipped. It must not be kept after {@code accept}
 * returns, and closing it is a no-op.
 */
@FunctionalInterface
public interface EntryConsumer {
    void accept(TarEntry entry, InputStream data) throws IOException;
}
