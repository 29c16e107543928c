// Loads the dashboards' partial plotly.js (the URL in this tag's data-plotly) without holding up
// the page: it downloads and compiles while Dash starts and asks for the charts' data.
//
// dcc.Graph draws with window.Plotly when it is set and otherwise fetches Plotly's full bundle
// itself. Until the partial bundle has run, window.Plotly is a promise of it: dcc.Graph waits
// for that promise (Promise.resolve adopts it) and never fetches the full bundle. The bundle
// then sets window.Plotly to plotly.js itself, before the promise resolves.
(function () {
  var src = document.currentScript.getAttribute("data-plotly");
  window.Plotly = new Promise(function (resolve, reject) {
    var script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.onload = function () { resolve(window.Plotly); };
    script.onerror = reject;
    document.head.appendChild(script);
  });
})();
