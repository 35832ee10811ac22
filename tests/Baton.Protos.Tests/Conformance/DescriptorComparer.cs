using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;

namespace Baton.Protos.Tests.Conformance;

/// <summary>
/// Lists every way Baton's declarations differ from upstream's. Baton may leave out types,
/// fields and enum values (unknown fields survive on the wire), but whatever it declares must
/// match upstream by name, number, type, label, oneof and file, or type URLs and bytes drift.
/// </summary>
internal static class DescriptorComparer
{
    public static IReadOnlyList<string> Compare(IEnumerable<FileDescriptor> files, JsonObject upstreamDump)
    {
        var upstream = upstreamDump["types"]?.AsObject() ?? new JsonObject();
        var differences = new List<string>();

        foreach (var file in files)
        {
            foreach (var message in BatonDescriptors.Messages(file))
            {
                if (Find(upstream, message.FullName, "message", file.Name, differences) is { } theirs)
                {
                    CompareMessage(message, theirs, differences);
                }
            }

            foreach (var enumType in BatonDescriptors.Enums(file))
            {
                if (Find(upstream, enumType.FullName, "enum", file.Name, differences) is { } theirs)
                {
                    CompareEnum(enumType, theirs, differences);
                }
            }

            foreach (var service in file.Services)
            {
                if (Find(upstream, service.FullName, "service", file.Name, differences) is { } theirs)
                {
                    CompareService(service, theirs, differences);
                }
            }
        }

        return differences;
    }

    private static JsonObject? Find(JsonObject upstream, string fullName, string kind, string file, List<string> differences)
    {
        if (upstream[fullName] is not JsonObject theirs)
        {
            differences.Add($"{kind} {fullName} ({file}): upstream has no such type");
            return null;
        }

        var theirKind = (string?)theirs["kind"];
        if (theirKind != kind)
        {
            differences.Add($"{kind} {fullName}: upstream declares it as a {theirKind}");
            return null;
        }

        var theirFile = (string?)theirs["file"];
        if (theirFile != file)
        {
            differences.Add($"{kind} {fullName}: Baton declares it in {file}, upstream in {theirFile}");
        }

        return theirs;
    }

    private static void CompareMessage(MessageDescriptor message, JsonObject theirs, List<string> differences)
    {
        var theirFields = theirs["fields"]?.AsObject() ?? new JsonObject();
        foreach (var field in message.Fields.InDeclarationOrder())
        {
            var where = $"field {message.FullName}.{field.Name} (#{field.FieldNumber})";
            if (theirFields[field.Name] is not JsonObject their)
            {
                var sameNumber = theirFields.FirstOrDefault(f => (int?)f.Value?["number"] == field.FieldNumber).Key;
                differences.Add(sameNumber is null
                    ? $"{where}: upstream has no field named {field.Name}"
                    : $"{where}: upstream has no field named {field.Name}; its #{field.FieldNumber} is {sameNumber}");
                continue;
            }

            Check(differences, where, "number", field.FieldNumber.ToString(), ((int?)their["number"])?.ToString());
            Check(differences, where, "type", TypeName(field), (string?)their["type"]);
            Check(differences, where, "label", Label(field), (string?)their["label"]);
            Check(differences, where, "oneof", field.RealContainingOneof?.Name ?? "(none)", (string?)their["oneof"] ?? "(none)");
        }
    }

    private static void CompareEnum(EnumDescriptor enumType, JsonObject theirs, List<string> differences)
    {
        var theirValues = theirs["values"]?.AsObject() ?? new JsonObject();
        foreach (var value in enumType.Values)
        {
            var where = $"enum value {enumType.FullName}.{value.Name}";
            if (theirValues[value.Name] is not JsonValue their)
            {
                differences.Add($"{where} (= {value.Number}): upstream has no such value");
                continue;
            }

            Check(differences, where, "number", value.Number.ToString(), their.GetValue<int>().ToString());
        }
    }

    private static void CompareService(ServiceDescriptor service, JsonObject theirs, List<string> differences)
    {
        var theirMethods = theirs["methods"]?.AsObject() ?? new JsonObject();
        foreach (var method in service.Methods)
        {
            var where = $"method {service.FullName}/{method.Name}";
            if (theirMethods[method.Name] is not JsonObject their)
            {
                differences.Add($"{where}: upstream has no such method");
                continue;
            }

            Check(differences, where, "request", method.InputType.FullName, (string?)their["request"]);
            Check(differences, where, "response", method.OutputType.FullName, (string?)their["response"]);
            Check(differences, where, "client streaming", method.IsClientStreaming.ToString(), ((bool?)their["clientStreaming"])?.ToString());
            Check(differences, where, "server streaming", method.IsServerStreaming.ToString(), ((bool?)their["serverStreaming"])?.ToString());
        }
    }

    private static void Check(List<string> differences, string where, string what, string ours, string? theirs)
    {
        if (!string.Equals(ours, theirs, StringComparison.Ordinal))
        {
            differences.Add($"{where}: {what} is {ours} in Baton, {theirs ?? "(absent)"} upstream");
        }
    }

    /// <summary>The same spelling dump-upstream.js uses: proto scalar names, or full names without a leading dot.</summary>
    internal static string TypeName(FieldDescriptor field)
    {
        if (field.IsMap)
        {
            var entry = field.MessageType;
            return $"map<{TypeName(entry.FindFieldByNumber(1))},{TypeName(entry.FindFieldByNumber(2))}>";
        }

        return field.FieldType switch
        {
            FieldType.Message or FieldType.Group => field.MessageType.FullName,
            FieldType.Enum => field.EnumType.FullName,
            var scalar => scalar.ToString().ToLowerInvariant(),
        };
    }

    internal static string Label(FieldDescriptor field) =>
        field.IsMap ? "map"
        : field.IsRepeated ? "repeated"
        : field.ContainingOneof?.IsSynthetic == true ? "optional"
        : "singular";
}
