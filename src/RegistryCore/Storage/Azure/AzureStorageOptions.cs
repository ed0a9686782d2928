namespace Wharf.Registry.Storage.Azure;

/// <summary>distribution's <c>storage.azure</c> section, with the same keys and defaults.</summary>
public sealed class AzureStorageOptions
{
    public string? AccountName { get; set; }
    public string? AccountKey { get; set; }
    public string? Container { get; set; }
    public string RootDirectory { get; set; } = "";
    /// <summary>The domain of the blob endpoint (<c>https://&lt;account&gt;.blob.&lt;realm&gt;</c>).</summary>
    public string Realm { get; set; } = "core.windows.net";
    /// <summary>The whole blob endpoint instead (Azurite, a private endpoint), e.g. http://127.0.0.1:10000/devstoreaccount1.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The part size for staged blocks.</summary>
    public int ChunkSize { get; set; } = 8 << 20;

    public Uri ServiceUri => new(ServiceUrl is { Length: > 0 } url ? url : $"https://{AccountName}.blob.{Realm}");

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(AccountName)) yield return "storage.azure.accountname is required";
        if (string.IsNullOrWhiteSpace(AccountKey)) yield return "storage.azure.accountkey is required";
        else if (!IsBase64(AccountKey)) yield return "storage.azure.accountkey is not a base64 account key";
        if (string.IsNullOrWhiteSpace(Container)) yield return "storage.azure.container is required";
        if (ServiceUrl is { Length: > 0 } url && !Uri.TryCreate(url, UriKind.Absolute, out _)) yield return $"storage.azure.serviceurl '{url}' is not a URL";
    }

    private static bool IsBase64(string value)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out _);
    }
}
