// OAuth 2.0 Form Post Response Mode: the answer goes to the app as a form the browser posts.
// Without script, the person presses the button.
"use strict";
document.getElementById("to-app").submit();
