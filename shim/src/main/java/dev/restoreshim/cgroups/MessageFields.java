package dev.restoreshim.cgroups;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.Map;

/**
 * Copies {@code key value} pairs into the uint64 fields of a Metrics sub-message by name. The
 * kernel's key names are the proto field names (for v1 after {@code renames}, for example
 * {@code pgpgin} to {@code pg_pg_in}); keys without a field, and fields that are not scalar uint64
 * (v1 {@code memory.stat} has a {@code swap} key, the message has a {@code swap} entry), are skipped.
 */
final class MessageFields {
    private MessageFields() {
    }

    static void fill(Message.Builder builder, Map<String, Long> values, Map<String, String> renames) {
        for (Map.Entry<String, Long> entry : values.entrySet()) {
            String name = renames.getOrDefault(entry.getKey(), entry.getKey());
            FieldDescriptor field = builder.getDescriptorForType().findFieldByName(name);
            if (field != null && !field.isRepeated() && field.getType() == FieldDescriptor.Type.UINT64) {
                builder.setField(field, entry.getValue());
            }
        }
    }
}
