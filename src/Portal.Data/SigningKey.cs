namespace Wharf.Portal.Data;

/// <summary>
/// A private key that every instance signs with (the registry tokens' ECDSA key), generated once for the whole
/// deployment and kept in the portal database so that a token issued by one instance is accepted by all.
/// </summary>
public sealed class SigningKey
{
    /// <summary>What the key signs ("registry-token").</summary>
    public required string Name { get; set; }
    /// <summary>The PKCS#8 private key, PEM-encoded.</summary>
    public required string Pem { get; set; }
    public DateTime CreatedAt { get; set; }
}
