// The admin's post editor (CKEditor 4, standard package): the settings before it starts.
// No spell checker as you type (scayt, wsc: they would call a spelling service on another site),
// no "about" dialog (links to ckeditor.com). The posts are cleaned with nh3 when they are shown.
CKEDITOR.config.removePlugins = 'scayt,wsc,about';
CKEDITOR.config.height = 300;
