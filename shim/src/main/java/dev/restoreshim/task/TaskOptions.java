package dev.restoreshim.task;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.proto.runtimeoptions.Options;

/**
 * The {@code options} of a CreateTaskRequest, checked before anything is created. containerd's
 * CRI plugin sends {@code runtimeoptions.v1.Options} (the handler's {@code ConfigPath}) to runtimes
 * other than runc; {@code ctr --runtime-config} may send {@code containerd.runc.v1.Options}. Any
 * other type, or bytes that do not parse, is refused with INVALID_ARGUMENT naming the task.
 *
 * @param configPath the handler's ConfigPath, empty when none was sent
 */
record TaskOptions(String configPath) {
    static final String RUNTIME_OPTIONS = "runtimeoptions.v1.Options";
    static final String RUNC_OPTIONS = "containerd.runc.v1.Options";

    static TaskOptions parse(String taskId, Any options) {
        if (options == null || (options.getTypeUrl().isEmpty() && options.getValue().isEmpty())) {
            return new TaskOptions("");
        }
        String type = options.getTypeUrl().substring(options.getTypeUrl().lastIndexOf('/') + 1);
        try {
            return switch (type) {
                case RUNTIME_OPTIONS -> new TaskOptions(Options.parseFrom(options.getValue()).getConfigPath());
                case RUNC_OPTIONS -> {
                    dev.restoreshim.proto.runc.Options.parseFrom(options.getValue());
                    yield new TaskOptions("");
                }
                default -> throw ShimException.invalidArgument("create task \"" + taskId + "\": options: type \""
                        + options.getTypeUrl() + "\" is not supported (expected " + RUNTIME_OPTIONS + " or "
                        + RUNC_OPTIONS + ")");
            };
        } catch (InvalidProtocolBufferException e) {
            throw ShimException.invalidArgument("create task \"" + taskId + "\": options: malformed " + type + ": "
                    + e.getMessage());
        }
    }
}
