using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;

namespace Wharf.Portal.Accounts;

/// <summary>Sign-out is a plain form POST (anti-forgery checked by the framework); sign-in is the static Login page.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/account/logout", async (SignInManager<PortalUser> signIn, AuditLog audit, IAntiforgery antiforgery, HttpContext context) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context)) return Results.BadRequest();
            var name = context.User.Identity?.Name;
            await signIn.SignOutAsync();
            if (name is not null) audit.Record(name, "sign-out", AuditOutcome.Success, clientAddress: context.Connection.RemoteIpAddress?.ToString());
            return Results.LocalRedirect("~/account/login");
        });
        return endpoints;
    }
}
