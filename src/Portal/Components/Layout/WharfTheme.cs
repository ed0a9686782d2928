using MudBlazor;

namespace Wharf.Portal.Components.Layout;

/// <summary>The portal's light and dark palettes. System fonts: the portal loads nothing from outside Wharf.</summary>
public static class WharfTheme
{
    private static readonly string[] Fonts = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5f9e",
            AppbarBackground = "#16324f",
            Background = "#f6f8fa",
            DrawerBackground = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#6aa8e8",
            AppbarBackground = "#10243a",
            Background = "#16181d",
            Surface = "#1f2228",
            DrawerBackground = "#1b1e23",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = Fonts },
            H4 = new H4Typography { FontFamily = Fonts, FontSize = "1.75rem", FontWeight = "500" },
            H5 = new H5Typography { FontFamily = Fonts, FontSize = "1.3rem", FontWeight = "500" },
            H6 = new H6Typography { FontFamily = Fonts, FontSize = "1.1rem", FontWeight = "500" },
        },
    };
}
