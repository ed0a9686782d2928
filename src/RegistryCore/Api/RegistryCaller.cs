namespace Wharf.Registry;

/// <summary>Who is making a registry request: the authenticated user (null when anonymous) and the client address.</summary>
public sealed record RegistryCaller(string? User, string? Address)
{
    public static readonly RegistryCaller System = new("system", null);
}
