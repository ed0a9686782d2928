using System.Text.Json.Serialization;
using Wharf.Registry.Storage.FileSystem;
using Wharf.Registry.Storage.Objects;

namespace Wharf.Registry.Storage;

/// <summary>The serializers for upload states and pending-write records (source-generated: states are written on every chunk).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FileSystemUploadState))]
[JsonSerializable(typeof(PartsUploadState))]
[JsonSerializable(typeof(PendingWrite))]
internal sealed partial class StorageStateJson : JsonSerializerContext;
