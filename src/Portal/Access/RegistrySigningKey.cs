using System.Security.Cryptography;

namespace Wharf.Portal.Access;

/// <summary>
/// The registry tokens' signing key of this deployment, as <see cref="Hosting.SharedKeys"/> loaded it from the portal
/// database at start (every instance loads the same one).
/// </summary>
public sealed class RegistrySigningKey
{
    private ECDsa? _key;

    public ECDsa Key => _key ?? throw new InvalidOperationException("the registry token signing key is read from the portal database when Wharf initialises, which has not happened yet");

    internal void Load(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        _key = key;
    }
}
