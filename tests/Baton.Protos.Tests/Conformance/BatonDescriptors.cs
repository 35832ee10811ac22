using System.Reflection;
using Google.Protobuf.Reflection;

namespace Baton.Protos.Tests.Conformance;

/// <summary>
/// The descriptors of Baton's copies of upstream files, taken from the generated code itself
/// so that what is checked is exactly what ships.
/// </summary>
internal static class BatonDescriptors
{
    /// <summary>Every generated file in Baton.Protos that is not one of Baton's own contracts.</summary>
    public static IReadOnlyList<FileDescriptor> UpstreamCopies { get; } = Load();

    private static IReadOnlyList<FileDescriptor> Load()
    {
        var assembly = typeof(Envoy.Config.Cluster.V3.Cluster).Assembly;
        var files = new List<FileDescriptor>();
        foreach (var type in assembly.GetTypes())
        {
            // protoc emits one static "<File>Reflection" class per .proto with a FileDescriptor property.
            var property = type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static);
            if (property?.PropertyType != typeof(FileDescriptor))
            {
                continue;
            }

            var file = (FileDescriptor)property.GetValue(null)!;
            if (!file.Name.StartsWith("baton/", StringComparison.Ordinal))
            {
                files.Add(file);
            }
        }

        return files.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    public static IEnumerable<MessageDescriptor> Messages(FileDescriptor file) =>
        file.MessageTypes.SelectMany(Flatten);

    public static IEnumerable<EnumDescriptor> Enums(FileDescriptor file) =>
        file.EnumTypes.Concat(Messages(file).SelectMany(m => m.EnumTypes));

    private static IEnumerable<MessageDescriptor> Flatten(MessageDescriptor message)
    {
        // Map entries are synthesised by protoc; the map field itself carries their shape.
        if (message.GetOptions()?.MapEntry == true)
        {
            yield break;
        }

        yield return message;
        foreach (var nested in message.NestedTypes.SelectMany(Flatten))
        {
            yield return nested;
        }
    }
}
