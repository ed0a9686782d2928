using Microsoft.AspNetCore.Http;

namespace Wharf.Registry.Api;

/// <summary><c>GET /v2/</c>: tells clients this is a v2 registry and whether their credentials are good.</summary>
internal static class BaseEndpoint
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    public static Task<IResult> Get(RegistryRequest request) =>
        Task.FromResult(Results.Bytes(EmptyObject, "application/json"));
}
