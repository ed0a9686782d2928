using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Wharf.Tests.Unit.Portal;

/// <summary>Renders a component to HTML with the framework's own <see cref="HtmlRenderer"/>, using a host's services.</summary>
public static class ComponentRenderer
{
    public static async Task<string> RenderAsync<TComponent>(IServiceProvider services, Dictionary<string, object?> parameters)
        where TComponent : IComponent
    {
        await using var scope = services.CreateAsyncScope();
        // Outside a request, the navigation manager has no address yet; some components subscribe to it while rendering.
        if (scope.ServiceProvider.GetRequiredService<NavigationManager>() is IHostEnvironmentNavigationManager navigation)
            navigation.Initialize("http://localhost/", "http://localhost/");
        await using var renderer = new HtmlRenderer(scope.ServiceProvider, scope.ServiceProvider.GetRequiredService<ILoggerFactory>());
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters));
            return output.ToHtmlString();
        });
    }
}
